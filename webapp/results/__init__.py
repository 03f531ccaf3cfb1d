"""Results: the feed client, polling and verification, stored versions, manual entry."""

"""Leaderboards: Redis sorted sets kept in step with PostgreSQL, read a page at a time."""

"""Players' public profiles and their own history across seasons and replays."""

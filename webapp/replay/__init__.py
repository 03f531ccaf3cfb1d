"""Replays: a real past season re-run on an accelerated clock through the live pipeline."""

"""Notifications: creating them in bulk and announcing them live."""

"""Seasons, constructors, drivers and races: the bundled season and its loader."""

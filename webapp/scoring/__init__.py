"""Scoring: systems as data, set-based rescoring of races, and reading scores."""

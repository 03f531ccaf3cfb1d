"""The market of games that have one: prices per game that move after each race."""

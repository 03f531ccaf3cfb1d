"""Statistics: results versions and their diff, chart data and inline SVG charts."""

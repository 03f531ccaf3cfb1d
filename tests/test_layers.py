"""Domain code is handed its settings: only the edge reads the settings object."""

from __future__ import annotations

import re

from webapp.settings import ROOT

# Entry points and process infrastructure; routes, pages and CLI commands of each package too.
EDGE = {
    "app.py",
    "cli.py",
    "clitools.py",
    "embedded.py",
    "hypercorn_config.py",
    "observability.py",
    "security.py",
    "serve.py",
    "settings.py",
    "supervisor.py",
    "auth/ratelimit.py",
}
EDGE_NAMES = {"routes.py", "pages.py", "cli.py"}
READS_SETTINGS = re.compile(r"\bget_settings\b")


def test_only_the_edge_reads_the_settings_object() -> None:
    package = ROOT / "webapp"
    readers = sorted(
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if path.relative_to(package).as_posix() not in EDGE
        and path.name not in EDGE_NAMES
        and READS_SETTINGS.search(path.read_text())
    )
    assert readers == [], f"domain modules calling get_settings (pass the value in): {readers}"

"""The systemd units in deploy/systemd run exactly the Procfile's commands."""

from __future__ import annotations

import configparser

from webapp.settings import ROOT
from webapp.supervisor import parse_procfile

UNITS = ROOT / "deploy" / "systemd"
BIN = "/srv/paddock/.venv/bin/"
UNIT_OF = {
    "web": "paddock-web@.service",
    "worker": "paddock-worker.service",
    "scheduler": "paddock-scheduler.service",
    "release": "paddock-release.service",
}


def service(name: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(UNITS / name)
    return parser["Service"]


def test_every_procfile_line_has_a_unit_running_its_command() -> None:
    commands = parse_procfile((ROOT / "Procfile").read_text())
    assert set(commands) == set(UNIT_OF)
    for name, command in commands.items():
        unit = service(UNIT_OF[name])
        # The Procfile's shell forms: `exec` and a default port the unit sets itself.
        expected = command.removeprefix("exec ").replace("${PORT:-8000}", "${PORT}")
        assert unit["ExecStart"].removeprefix(BIN) == expected, name


def test_long_running_units_restart_and_stop_with_sigterm_first() -> None:
    for name in ("web", "worker", "scheduler"):
        unit = service(UNIT_OF[name])
        assert unit["Restart"] == "always", name
        assert unit["KillSignal"] == "SIGTERM", name
        assert int(unit["TimeoutStopSec"]) > 3, name  # more than they need to stop
    assert service(UNIT_OF["release"])["Type"] == "oneshot"

"""Progress of long commands: bars on a terminal, plain lines anywhere else."""

from __future__ import annotations

import io

from webapp.clitools import progress_shown


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as a shell's would."""

    def isatty(self) -> bool:
        return True


def test_off_a_terminal_each_stage_prints_its_start_tenths_and_end() -> None:
    out = io.StringIO()
    with progress_shown(out) as progress:
        for done in range(0, 21):
            progress("drivers", done, 20)
        progress("drivers", 20, 20)  # told twice, printed once
        progress("races", 0, 3)
        progress("races", 3, 3)
    assert out.getvalue().splitlines() == [
        "drivers: 0/20",
        *(f"drivers: {n}/20" for n in range(2, 21, 2)),
        "races: 0/3",
        "races: 3/3",
    ]


def test_on_a_terminal_a_bar_is_drawn_per_stage() -> None:
    out = Terminal()
    with progress_shown(out) as progress:
        progress("drivers", 0, 20)
        progress("drivers", 20, 20)
        progress("races", 24, 24)
    drawn = out.getvalue()
    assert "drivers" in drawn and "20/20" in drawn and "24/24" in drawn
    assert "━" in drawn  # the bar itself
    assert "drivers: 20/20" not in drawn  # not the plain lines

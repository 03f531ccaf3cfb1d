"""Progress of long work, told as it goes to whoever watches (the command line draws it)."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Told `done` of `total` steps of a named stage, from 0 when the stage begins."""

    def __call__(self, stage: str, done: int, total: int) -> None: ...


def quiet(stage: str, done: int, total: int) -> None:
    """Tell nobody: what domain functions do unless a caller watches."""

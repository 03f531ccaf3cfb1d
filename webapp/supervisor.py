"""Run the Procfile's processes for `paddock dev`: restart the ones that die, stop all together.

Each program runs from its Procfile line (through `/bin/sh -c`, so `${PORT:-8000}` and
`exec` work as a platform's process manager would run them) in a process group of its own,
with its output prefixed by its name. A program marked `restart` that dies is started again
after a back-off that doubles with each quick death (1 s, 2 s, 4 s… at most 30 s) and starts
over once it has run for a while; any other program's death stops the run. On SIGINT or
SIGTERM every group gets SIGTERM, and whatever still runs after `stop_timeout` is
SIGKILLed, which the log says.

On Linux every child also gets SIGTERM from the kernel when the supervisor dies, even by
SIGKILL (`PR_SET_PDEATHSIG`), so a killed `paddock dev` leaves nothing running behind it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO

import psutil

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
READ_BYTES = 65536
TICK = 0.05


def parse_procfile(text: str) -> dict[str, str]:
    """Return a Procfile's commands by process name (`name: command` lines, `#` comments)."""
    commands = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, colon, command = line.partition(":")
        if not colon or not name.strip().isidentifier() or not command.strip():
            raise ValueError(f"Procfile line {number} is not `name: command`: {raw!r}")
        commands[name.strip()] = command.strip()
    return commands


def die_with_parent(sig: signal.Signals) -> Callable[[], None] | None:
    """Return a `preexec_fn` that has the child get `sig` when its parent dies; None off Linux."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork, not in it
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), sig)

    return preexec


def describe_exit(code: int) -> str:
    """Say how a process ended, from a Popen return code."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


@dataclass(frozen=True, slots=True)
class Program:
    """One process to run: its name, its shell command, and whether it is restarted."""

    name: str
    command: str
    restart: bool


@dataclass(slots=True)
class _Child:
    program: Program
    popen: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    quick_deaths: int = 0
    restart_at: float | None = None
    partial: bytes = b""


class Supervisor:
    """Start programs, restart the restartable ones with back-off, stop them all on a signal."""

    def __init__(
        self,
        programs: Sequence[Program],
        *,
        env: Mapping[str, str],
        cwd: Path,
        out: IO[str],
        stop_timeout: float = 3.0,
        backoff_base: float = 1.0,
        backoff_cap: float = 30.0,
        stable_after: float = 30.0,
    ) -> None:
        self.env = dict(env)
        self.cwd = cwd
        self.out = out
        self.stop_timeout = stop_timeout
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.stable_after = stable_after
        self._children = [_Child(program) for program in programs]
        self._selector = selectors.DefaultSelector()
        self._signal: int | None = None
        self._width = max([len("dev"), *(len(p.name) for p in programs)])

    def run(self) -> int:
        """Run until a signal (0 if all stopped in time) or a program that ends the run dies."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in STOP_SIGNALS}
        try:
            for child in self._children:
                self._start(child)
            code = self._watch()
            return self._stop(code)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._selector.close()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signal = signum

    def _watch(self) -> int | None:
        """Keep the programs running until a signal (None) or a fatal death (its code)."""
        while self._signal is None:
            self._pump(TICK)
            now = time.monotonic()
            for child in self._children:
                if child.popen is not None and (code := child.popen.poll()) is not None:
                    if not child.program.restart:
                        self._say(f"{child.program.name} {describe_exit(code)}: stopping the rest")
                        return code or 1
                    self._schedule_restart(child, code, now)
                elif child.restart_at is not None and child.restart_at <= now:
                    self._start(child)
        self._say(f"{signal.Signals(self._signal).name} received: stopping")
        return None

    def _schedule_restart(self, child: _Child, code: int, now: float) -> None:
        assert child.popen is not None
        self._signal_group(child.popen.pid, signal.SIGTERM)  # what it forked, if it lives on
        self._pump(0)
        self._drop_output(child)
        child.popen = None
        ran = now - child.started_at
        child.quick_deaths = 1 if ran >= self.stable_after else child.quick_deaths + 1
        delay = min(self.backoff_cap, self.backoff_base * 2 ** (child.quick_deaths - 1))
        child.restart_at = now + delay
        self._say(
            f"{child.program.name} {describe_exit(code)} after {ran:.1f} s: "
            f"restarting it in {delay:.0f} s"
        )

    def _start(self, child: _Child) -> None:
        restarted = child.restart_at is not None
        child.restart_at = None
        child.popen = subprocess.Popen(  # noqa: S603
            ["/bin/sh", "-c", child.program.command],
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: signals reach what it forks too
            preexec_fn=die_with_parent(signal.SIGTERM),
        )
        child.started_at = time.monotonic()
        assert child.popen.stdout is not None
        self._selector.register(child.popen.stdout, selectors.EVENT_READ, child)
        if restarted:
            self._say(f"{child.program.name} restarted (pid {child.popen.pid})")

    def _stop(self, code: int | None) -> int:
        """SIGTERM every group; SIGKILL what is left after `stop_timeout`; return the code."""
        running = [c for c in self._children if c.popen is not None]
        for child in running:
            assert child.popen is not None
            self._signal_group(child.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        while any(self._group_alive(c) for c in running) and time.monotonic() < deadline:
            self._pump(TICK)
        killed = False
        for child in running:
            if self._group_alive(child):
                killed = True
                self._say(
                    f"{child.program.name} still running {self.stop_timeout:.0f} s after "
                    "SIGTERM: sending SIGKILL"
                )
                assert child.popen is not None
                self._signal_group(child.popen.pid, signal.SIGKILL)
        for child in running:
            assert child.popen is not None
            child.popen.wait()
            self._pump(0)
            self._drop_output(child)
        if code is not None:
            return code
        self._say("stopped" + (" (some only by SIGKILL)" if killed else ""))
        return 1 if killed else 0

    def _group_alive(self, child: _Child) -> bool:
        """Tell whether anything of the child's process group still runs (zombies aside)."""
        assert child.popen is not None
        group = child.popen.pid
        if child.popen.poll() is None:
            return True
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        for proc in psutil.process_iter():
            with contextlib.suppress(OSError, psutil.Error):
                if os.getpgid(proc.pid) == group and proc.status() != psutil.STATUS_ZOMBIE:
                    return True
        return False

    @staticmethod
    def _signal_group(group: int, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, sig)

    def _pump(self, timeout: float) -> None:
        """Copy the children's output lines to `out`, waiting at most `timeout` for some."""
        if not self._selector.get_map():
            if timeout:
                time.sleep(timeout)
            return
        for key, _ in self._selector.select(timeout):
            child: _Child = key.data
            data = os.read(key.fd, READ_BYTES)
            if not data:
                self._selector.unregister(key.fileobj)
                data = b"\n" if child.partial else b""
            *lines, child.partial = (child.partial + data).split(b"\n")
            for line in lines:
                self._line(child.program.name, line.decode(errors="replace").rstrip("\r"))

    def _drop_output(self, child: _Child) -> None:
        """Stop reading a child that is gone, printing what it left unterminated."""
        assert child.popen is not None and child.popen.stdout is not None
        stream = child.popen.stdout
        if stream in {key.fileobj for key in self._selector.get_map().values()}:
            self._selector.unregister(stream)
        if child.partial:
            self._line(child.program.name, child.partial.decode(errors="replace"))
            child.partial = b""
        stream.close()

    def _say(self, message: str) -> None:
        self._line("dev", message)

    def _line(self, name: str, text: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        self.out.write(f"{stamp} {name:<{self._width}} | {text}\n")
        self.out.flush()

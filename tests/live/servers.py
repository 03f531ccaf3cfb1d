"""Real processes for end-to-end tests: web processes and a worker on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart

BIN = Path(sys.executable).parent
STARTUP_SECONDS = 30.0
STOP_SECONDS = 15.0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    """A child process whose output goes to a file shown when something fails."""

    name: str
    args: list[str]
    env: dict[str, str]
    log: IO[bytes] = field(default_factory=lambda: tempfile.TemporaryFile())  # noqa: SIM115
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        """Start it in a process group of its own."""
        self.popen = subprocess.Popen(  # noqa: S603
            self.args,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def output(self, limit: int = 4000) -> str:
        """Return the end of what it printed."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-limit:]

    def terminate(self) -> None:
        """Send SIGTERM, as a platform stopping it would."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        """SIGTERM it and wait; SIGKILL its group if it does not stop."""
        if self.popen is None or self.popen.poll() is not None:
            return
        self.terminate()
        try:
            self.popen.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(STOP_SECONDS)

    def failed(self, why: str) -> AssertionError:
        """Return an error naming the process and showing its output."""
        return AssertionError(f"{self.name}: {why}\n--- its output ---\n{self.output()}")


def stop_all(processes: list[Process]) -> None:
    """Stop processes side by side."""
    for process in processes:
        process.terminate()
    for process in processes:
        process.stop()


def child_env(**overrides: str) -> dict[str, str]:
    """Return this process's environment (the test services' URLs) with `overrides`."""
    env = dict(os.environ)
    env.update(ENVIRONMENT="test", PYTHONUNBUFFERED="1", PATH=f"{BIN}{os.pathsep}{env['PATH']}")
    env.update(overrides)
    return env


def web(port: int, env: dict[str, str]) -> Process:
    """Return the Procfile's web process bound to 127.0.0.1:`port` (not started)."""
    return Process(f"web :{port}", [str(BIN / "paddock-web"), "--bind", f"127.0.0.1:{port}"], env)


def worker(env: dict[str, str]) -> Process:
    """Return one taskiq worker process, as the Procfile runs it (not started)."""
    args = [
        str(BIN / "taskiq"),
        "worker",
        "workers.broker:worker_broker",
        "--ack-type",
        "when_executed",
        "--workers",
        "1",
    ]
    return Process("worker", args, env)


async def wait_ready(process: Process, base_url: str) -> None:
    """Wait until `base_url`/health answers 200, failing clearly if it never does."""
    deadline = asyncio.get_running_loop().time() + STARTUP_SECONDS
    async with httpx.AsyncClient(timeout=2.0) as client:
        while True:
            assert process.popen is not None
            if process.popen.poll() is not None:
                raise process.failed(f"exited with {process.popen.returncode} before answering")
            try:
                if (await client.get(f"{base_url}/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise process.failed(f"{base_url}/health not ready within {STARTUP_SECONDS:.0f} s")
            await asyncio.sleep(0.1)


@asynccontextmanager
async def running_web(env: dict[str, str] | None = None) -> AsyncIterator[str]:
    """Run one web process (`child_env()` by default) until the block ends; yield its URL."""
    port = free_port()
    process = web(port, env if env is not None else child_env()).start()
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(process, base)
        yield base
    finally:
        process.stop()


@asynccontextmanager
async def serving(app: Quart) -> AsyncIterator[str]:
    """Serve `app` with Hypercorn in this event loop on 127.0.0.1 for the block; yield its URL."""
    config = Config()
    port = free_port()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.errorlog = None
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(200):
                try:
                    if (await http.get(f"{base}/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
        yield base
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)

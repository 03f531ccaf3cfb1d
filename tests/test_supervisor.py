"""`paddock dev` as a user runs it: a dead worker comes back, a killed parent leaves nothing."""

from __future__ import annotations

import asyncio
import signal

import httpx
import psutil

from tests.live.servers import BIN, Process, child_env, free_port, wait_ready

GUARD_SECONDS = 60.0


def dev(port: int) -> Process:
    """Return `paddock dev` on the test services, serving on `port` (not started)."""
    return Process("paddock dev", [str(BIN / "paddock"), "dev"], child_env(PORT=str(port)))


async def _until(check, why: str, process: Process) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + GUARD_SECONDS
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise process.failed(why)
        await asyncio.sleep(0.2)


def _workers(root: psutil.Process) -> list[psutil.Process]:
    return [
        p for p in root.children() if "worker" in " ".join(p.cmdline()) and "taskiq" in p.name()
    ]


async def test_a_killed_worker_is_restarted_and_the_web_keeps_answering(
    db: None, redis: object
) -> None:
    port = free_port()
    process = dev(port).start()
    try:
        await wait_ready(process, f"http://127.0.0.1:{port}")
        assert process.popen is not None
        root = psutil.Process(process.popen.pid)
        await _until(lambda: _workers(root), "no worker started", process)
        first = _workers(root)[0]
        first.kill()
        await _until(
            lambda: "worker restarted" in process.output(), "worker not restarted", process
        )
        assert any(w.pid != first.pid for w in _workers(root))
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"http://127.0.0.1:{port}/health")).status_code == 200
        assert "worker killed by SIGKILL" in process.output()
    finally:
        process.stop()


async def test_sigkill_of_dev_leaves_no_child(db: None, redis: object) -> None:
    port = free_port()
    process = dev(port).start()
    try:
        await wait_ready(process, f"http://127.0.0.1:{port}")
        assert process.popen is not None
        root = psutil.Process(process.popen.pid)
        await _until(lambda: len(root.children(recursive=True)) >= 5, "not all started", process)
        tree = root.children(recursive=True)
        root.send_signal(signal.SIGKILL)
        process.popen.wait(GUARD_SECONDS)

        def gone() -> bool:
            alive = [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
            return not alive

        await _until(gone, "children left after SIGKILL of paddock dev", process)
    finally:
        process.stop()

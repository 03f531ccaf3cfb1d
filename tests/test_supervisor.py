"""`paddock dev` as a user runs it: a dead worker comes back, a killed parent leaves nothing."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess

import httpx
import psutil
import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.live.servers import BIN, Process, child_env, free_port, wait_ready
from tests.results.conftest import FakeFeed
from webapp.models import Race, TaskRun
from webapp.settings import get_settings
from webapp.taskqueue import CONSUMER_GROUP, POLL_RACE, QUEUE
from workers.broker import make_broker

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


async def test_ctrl_c_after_browsing_stops_everything_gracefully_within_the_bound(
    db: None, redis: Redis
) -> None:
    feed = FakeFeed()
    feed.start()
    port = free_port()
    env = child_env(
        PORT=str(port),
        RESULTS_API_URL=feed.url,
        FEED_RATE_PER_SECOND="1000",
        FEED_TIMEOUT_SECONDS="30",
    )
    process = Process("paddock dev", [str(BIN / "paddock"), "dev"], env).start()
    base = f"http://127.0.0.1:{port}"
    try:
        await wait_ready(process, base)
        race = await Race.filter(round=1).first()
        assert race is not None
        results = f"/{race.season_id}/{race.round}/results.json"
        # Every request for it hangs: the scheduler's own polls may ask for it too.
        feed.script(results, *[{"hang": True}] * 20)
        async with (
            httpx.AsyncClient(base_url=base, timeout=GUARD_SECONDS) as browser,
            connect(f"ws://127.0.0.1:{port}/ws?topics=leaderboard", origin=base) as socket,  # type: ignore[arg-type]
        ):
            # A page read leaves the browser's connection open and idle (keep-alive).
            assert (await browser.get("/")).status_code == 200
            await asyncio.wait_for(socket.recv(), GUARD_SECONDS)  # caught up: it is live
            sender = make_broker(get_settings())
            await sender.startup()
            try:
                await POLL_RACE.kicker(sender).kiq(race_id=race.id)
            finally:
                await sender.shutdown()

            async def fetching() -> bool:
                running = TaskRun.filter(task_name="poll_race", finished_at=None)
                return feed.hits(results) >= 1 and await running.exists()

            deadline = asyncio.get_running_loop().time() + GUARD_SECONDS
            while not await fetching():
                if asyncio.get_running_loop().time() > deadline:
                    raise process.failed("the worker never started fetching the race")
                await asyncio.sleep(0.1)

            assert process.popen is not None
            process.popen.send_signal(signal.SIGINT)  # what Ctrl-C does
            with pytest.raises(ConnectionClosed) as closed:
                while True:  # an update sent just before the close may come first
                    await asyncio.wait_for(socket.recv(), GUARD_SECONDS)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
            try:
                code = await asyncio.to_thread(process.popen.wait, GUARD_SECONDS)
            except subprocess.TimeoutExpired:
                raise process.failed("paddock dev did not exit after SIGINT") from None
        output = process.output(100_000)
        assert "SIGKILL" not in output, output
        assert code == 0, output
        # The poll was cancelled, not finished: its message waits for the next worker.
        pending = await redis.xpending_range(QUEUE, CONSUMER_GROUP, "-", "+", 100)
        tasks = []
        for entry in pending:
            ((_, fields),) = await redis.xrange(QUEUE, entry["message_id"], entry["message_id"])
            tasks.append(json.loads(fields["data"]))
        polls = [t for t in tasks if t["task_name"] == POLL_RACE.name]
        assert [t["kwargs"] for t in polls] == [{"race_id": race.id}], output
    finally:
        process.stop()
        feed.stop()

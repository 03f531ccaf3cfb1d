"""Benchmark: publish-to-last-socket time of the live fan-out, one web process, many sockets.

`python -m bench.ws_fanout [--sockets 1000 5000] [--publishes 20]`: generates a season in the
benchmark database, starts the Procfile's web process (`paddock-web`), opens the sockets
on `/ws?topics=leaderboard` (as /leaderboard pages do). Each round corrects the race's
results and rescores (untimed), then publishes the `scores` event as `store_results`
does, and times how long until every socket has the new table: the server renders it
once and sends the same message to every socket. The clients offer permessage-deflate as a browser
does and only count whole frames; they share the machine with the server. It runs once
with the server's default (WS_COMPRESSION off) and once with compression on, to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import resource
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from tortoise import connections

from bench.common import bench_services, bench_urls, print_table
from bench.generate import generate
from webapp.leaderboards.refresh import refresh_after_rescore
from webapp.notifications.service import season_channel
from webapp.redis import get_redis
from webapp.scoring.rescore import rescore_scores

BIN = Path(sys.executable).parent
CONNECTING = 100  # handshakes in flight at once (the listen backlog is 100)
WAIT_SECONDS = 60.0


@dataclass
class Round:
    """One publish: when it left and when each socket got it."""

    expected: int
    sent_at: float = 0.0
    arrivals: list[float] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def arrived(self) -> None:
        self.arrivals.append(time.perf_counter())
        if len(self.arrivals) >= self.expected:
            self.done.set()


def raise_open_files() -> int:
    """Raise this process's (and its children's) open-files limit to the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@asynccontextmanager
async def web_process(port: int, *, compression: bool) -> AsyncIterator[tuple[str, int]]:
    """Run one web process on the benchmark services; yield its base URL and pid."""
    db_url, redis_url = bench_urls()
    env = os.environ | {
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ENVIRONMENT": "development",
        "LOG_LEVEL": "WARNING",
        "WS_COMPRESSION": str(compression).lower(),
    }
    args = [str(BIN / "paddock-web"), "--bind", f"127.0.0.1:{port}"]
    log = tempfile.TemporaryFile()  # noqa: SIM115
    proc = await asyncio.create_subprocess_exec(*args, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=1) as client:
            for _ in range(300):
                try:
                    if (await client.get(f"{base}/health")).status_code == 200:
                        break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
            else:
                raise SystemExit("the benchmark web process did not start within 30 s")
        yield base, proc.pid
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 60)
            except TimeoutError:
                print("the web process did not stop within 60 s of SIGTERM", file=sys.stderr)
                proc.kill()
                await proc.wait()
        if proc.returncode not in (0, -15):
            log.seek(0)
            print(log.read().decode(errors="replace")[-3000:], file=sys.stderr)
        log.close()


class FrameCounter(asyncio.Protocol):
    """The cheapest websocket client: it negotiates deflate as a browser does, answers pings,
    and counts whole messages without decoding them, so the time measured is the server's."""

    def __init__(self, request: bytes) -> None:
        self.request = request
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = False
        self.first = asyncio.get_running_loop().create_future()
        self.on_message: Callable[[], None] = lambda: None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.buffer.startswith(b"HTTP/1.1 101"):
                self.first.set_exception(RuntimeError(bytes(self.buffer[:200]).decode()))
                return
            self.upgraded = True
            del self.buffer[: end + 4]
        while len(self.buffer) >= 2:
            head, size, start = self.buffer[0], self.buffer[1] & 0x7F, 2
            if size >= 126:
                start = 4 if size == 126 else 10
                if len(self.buffer) < start:
                    return
                size = int.from_bytes(self.buffer[2:start], "big")
            if len(self.buffer) < start + size:
                return
            payload = bytes(self.buffer[start : start + size])
            del self.buffer[: start + size]
            opcode = head & 0x0F
            if opcode == 0x9 and self.transport is not None:  # ping: answer with a masked pong
                mask = secrets.token_bytes(4)
                body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
                self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + mask + body)
            elif head & 0x80 and opcode in (0x0, 0x1, 0x2):
                if not self.first.done():
                    self.first.set_result(None)
                else:
                    self.on_message()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.first.done():
            self.first.set_exception(ConnectionError("closed before the first message"))


async def open_sockets(base: str, count: int) -> list[FrameCounter]:
    """Open `count` sockets on the leaderboard topic and wait for each one's first table."""
    host, port = base.removeprefix("http://").split(":")
    gate = asyncio.Semaphore(CONNECTING)
    loop = asyncio.get_running_loop()

    async def one() -> FrameCounter:
        key = base64.b64encode(secrets.token_bytes(16)).decode()
        request = (
            f"GET /ws?topics=leaderboard HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\nOrigin: {base}\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
        ).encode()
        async with gate:
            _, client = await loop.create_connection(lambda: FrameCounter(request), host, int(port))
            await asyncio.wait_for(client.first, WAIT_SECONDS)  # the catch-up
            return client

    return list(await asyncio.gather(*(one() for _ in range(count))))


# The stewards swap the first two finishers (and swap them back next time): many teams'
# points change, so the table every socket shows changes too.
SWAP_SQL = """
UPDATE race_results r
SET position = o.position, position_text = o.position_text, position_order = o.position_order
FROM race_results o, races ra
WHERE ra.id = $1 AND r.race_id = ra.id AND o.race_id = ra.id
  AND r.version = ra.results_version AND o.version = ra.results_version
  AND r.position_order IN (1, 2) AND o.position_order IN (1, 2)
  AND r.position_order <> o.position_order
"""


async def rescore_race(*, race_id: int) -> None:
    """Rescore and refresh the boards, as the pipeline does before it publishes (untimed)."""
    await refresh_after_rescore(await rescore_scores(race_id=race_id))


async def correct_results(race_id: int) -> None:
    """Change the race's results and rescore, as a correction does before it publishes."""
    await connections.get("default").execute_query(SWAP_SQL, [race_id])
    await rescore_race(race_id=race_id)


def cpu_seconds(pid: int) -> float:
    """Return the CPU time (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(
    base: str, pid: int, *, sockets: int, publishes: int, season: int, race_id: int
) -> list[object]:
    """Open the sockets, publish `publishes` times, and return the table row."""
    opened_at = time.perf_counter()
    clients = await open_sockets(base, sockets)
    opened = time.perf_counter() - opened_at
    print(f"{sockets} sockets open in {opened:.1f} s; publishing", file=sys.stderr, flush=True)
    rounds = [Round(expected=sockets)]
    for client in clients:
        client.on_message = lambda: rounds[-1].arrived()
    lasts: list[float] = []
    each: list[float] = []
    event = json.dumps({"type": "scores", "season": season, "race_id": race_id})
    busy = 0.0
    try:
        for _ in range(publishes):
            await correct_results(race_id)
            cpu_before = cpu_seconds(pid)
            current = Round(expected=sockets)
            rounds.append(current)
            current.sent_at = time.perf_counter()
            await get_redis().publish(season_channel(season), event)
            await asyncio.wait_for(current.done.wait(), WAIT_SECONDS)
            lasts.append(max(current.arrivals) - current.sent_at)
            busy += cpu_seconds(pid) - cpu_before
            each.extend(t - current.sent_at for t in current.arrivals)
            await asyncio.sleep(0.2)  # let the sockets go quiet between publishes
    finally:
        for client in clients:
            if client.transport is not None:
                client.transport.close()
    return [
        f"{sockets:,}",
        publishes,
        f"{opened:.1f}",
        ms(statistics.median(lasts)),
        ms(percentile(lasts, 99)),
        ms(statistics.median(each)),
        ms(percentile(each, 99)),
        ms(busy / publishes),
    ]


def percentile(values: list[float], pct: int) -> float:
    """Return the `pct`th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, -(-pct * len(ordered) // 100) - 1))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


async def dropped(base: str) -> int:
    """Return how many sockets the server dropped for being slow."""
    async with httpx.AsyncClient(timeout=30) as client:
        text = (await client.get(f"{base}/metrics")).text
    match = re.search(r"^paddock_ws_dropped_total ([0-9.e+]+)$", text, re.M)
    return int(float(match.group(1))) if match else 0


async def main(
    *, counts: list[int], publishes: int, teams: int, port: int, compression: list[bool]
) -> None:
    limit = raise_open_files()
    if limit < max(counts) * 2 + 200:
        raise SystemExit(f"open-files limit {limit} is too low for {max(counts)} sockets")
    async with bench_services(fresh=True):
        generated = await generate(teams=teams, league_size=min(teams, 1000))
        await rescore_race(race_id=generated.race_id)
        rows: list[list[object]] = []
        lost = 0
        for compressed in compression:
            async with web_process(port, compression=compressed) as (base, pid):
                for count in counts:
                    row = await measure(
                        base,
                        pid,
                        sockets=count,
                        publishes=publishes,
                        season=generated.season,
                        race_id=generated.race_id,
                    )
                    rows.append(["on" if compressed else "off (default)", *row])
                lost += await dropped(base)
    print(f"\nLive fan-out: one web process, {teams:,} teams, topic `leaderboard` (top 50 rows)\n")
    print_table(
        [
            "permessage-deflate",
            "sockets",
            "publishes",
            "connect all (s)",
            "last socket p50 (ms)",
            "last socket p99 (ms)",
            "any socket p50 (ms)",
            "any socket p99 (ms)",
            "server CPU per publish (ms)",
        ],
        rows,
    )
    print(f"\nsockets dropped as too slow: {lost}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--publishes", type=int, default=20)
    parser.add_argument("--teams", type=int, default=10_000)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument(
        "--compression",
        choices=["off", "on"],
        nargs="+",
        default=["off", "on"],
        help="WS_COMPRESSION of the web process; both by default, the setting's own first",
    )
    args = parser.parse_args()
    asyncio.run(
        main(
            counts=args.sockets,
            publishes=args.publishes,
            teams=args.teams,
            port=args.port,
            compression=[c == "on" for c in args.compression],
        )
    )

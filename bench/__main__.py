"""Run every benchmark in one go: rescoring (baseline beside it), then leaderboard reads."""

from __future__ import annotations

import argparse
import asyncio

from bench import reads, rescore


async def main(args: argparse.Namespace) -> None:
    """Rescore generated teams, then read the resulting boards through a real server."""
    await rescore.main(args.teams or [100_000])
    if not args.skip_reads:
        await reads.main(
            clients=args.clients, total=args.requests, rate=args.rate, workers=args.workers
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teams", type=int, action="append", help="team count (repeatable)")
    parser.add_argument("--skip-reads", action="store_true")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--workers", type=int, default=1)
    asyncio.run(main(parser.parse_args()))

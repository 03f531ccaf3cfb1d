"""Run every benchmark in one go: price changes over a season, ownership counts, rescoring
(baseline beside it), leaderboard reads, reads at saturation (wrk, beside a bare Quart app),
live fan-out.

Each step runs in a process of its own, on a fresh benchmark database for each team count;
the reads run against the boards the last rescoring left.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys


def run(*args: str) -> None:
    """Run one benchmark module with the same interpreter, stopping on failure."""
    subprocess.run([sys.executable, "-m", *args], check=True)  # noqa: S603


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teams", type=int, action="append", help="team count (repeatable)")
    parser.add_argument("--skip-reads", action="store_true")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="web processes (default: one per core, as docs/deployment.md runs them)",
    )
    parser.add_argument("--skip-saturation", action="store_true")
    parser.add_argument(
        "--saturation-only",
        action="store_true",
        help="only the wrk run, on the boards the last rescoring left",
    )
    parser.add_argument("--seconds", type=int, default=12, help="saturation: seconds per URL")
    parser.add_argument("--skip-live", action="store_true")
    parser.add_argument("--skip-prices", action="store_true")
    parser.add_argument("--skip-ownership", action="store_true")
    args = parser.parse_args()
    if args.saturation_only:
        run("bench.saturation", "--seconds", str(args.seconds))
        sys.exit()
    # First: it starts from a fresh database, and the reads need the boards rescoring leaves.
    if not args.skip_prices:
        run("bench.prices")
    # Also from a fresh database of its own: before the rescoring the reads run on.
    if not args.skip_ownership:
        run("bench.ownership")
    for teams in args.teams or [100_000]:
        run("bench.rescore", "--teams", str(teams))
    if not args.skip_reads:
        run(
            "bench.reads",
            "--clients", str(args.clients),
            "--requests", str(args.requests),
            "--rate", str(args.rate),
            "--workers", str(args.workers),
        )  # fmt: skip
    if not args.skip_saturation:
        run("bench.saturation", "--seconds", str(args.seconds))
    if not args.skip_live:
        run("bench.ws_fanout")

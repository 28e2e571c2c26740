"""`python -m bench` (`make bench`): every performance figure against its target.

    python -m bench            the full run, with the 3,000-voter polling day (~10 minutes)
    python -m bench --quick    a 300-voter day instead (clearly labelled), fewer iterations
    python -m bench --only casting,close     some groups only (results.json holds only them)

Prints each figure as it is measured and writes bench/results.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
import sys
import time
import traceback
from pathlib import Path

from bench import RESULTS_FILE, Context, Results, section

# One module per figure group, in the order they run: the quick ones first, the polling day
# (minutes) last.
GROUPS = (
    "casting",
    "identify",
    "render",
    "audio",
    "qr",
    "close",
    "verifiable",
    "host",
    "national",
    "memory",
)


def _machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="a 300-voter day instead of 3,000; fewer iterations"
    )
    parser.add_argument("--only", help=f"comma-separated groups of {', '.join(GROUPS)}")
    parser.add_argument("--results", type=Path, default=RESULTS_FILE, help="where to write JSON")
    args = parser.parse_args(argv)
    groups = GROUPS if not args.only else tuple(g.strip() for g in args.only.split(","))
    unknown = sorted(set(groups) - set(GROUPS))
    if unknown:
        parser.error(f"unknown groups {unknown}; choose from {', '.join(GROUPS)}")

    results = Results(args.results)
    ctx = Context(results, quick=args.quick)
    started = time.monotonic()
    print(f"Tamga benchmarks, {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}: {_machine()}")
    if args.quick:
        print("QUICK RUN: fewer iterations and a 300-voter day; not the figures of record")
    for group in groups:
        group_started = time.monotonic()
        load_before = os.getloadavg()[0]
        try:
            importlib.import_module(f"bench.{group}").run(ctx)
        except Exception:
            # One broken group must not hide the others' figures; the run still fails.
            traceback.print_exc()
            results.failures.append(group)
            print(f"!! the {group} benchmarks failed; their figures are missing", flush=True)
        # Other work on the machine skews every figure: say how busy it was.
        print(
            f"   ({group}: {time.monotonic() - group_started:.0f} s; 1-minute load average "
            f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after, on {os.cpu_count()} cores)",
            flush=True,
        )
        results.write()  # after every group, so an interrupted run keeps what it measured

    section("Summary")
    figures = list(results.figures.values())
    for figure in figures:
        print(figure.line())
    met = sum(f.met for f in figures)
    print(
        f"\n{met} of {len(figures)} figures meet their targets; {time.monotonic() - started:.0f} s"
    )
    if results.failures:
        print(f"groups that failed: {', '.join(results.failures)}")
    print(f"results: {results.path}")
    return 1 if results.failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

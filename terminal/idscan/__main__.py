"""`python -m terminal.idscan decode [--today YYYY-MM-DD]`: check scans read from stdin.

Each input line is one scan (the lines of one MRZ joined by CR, as a scanner sends them);
each output line is that scan's Document as one JSON object, so the output reads with jq:

    printf '900315401233\\n' | python -m terminal.idscan decode | jq .valid
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Iterator
from typing import BinaryIO

from terminal.idscan.scans import MAX_SCAN_CHARS, classify


def read_scans(stream: BinaryIO) -> Iterator[bytes]:
    """The input's lines without their LF, in bounded memory.

    A line longer than MAX_SCAN_CHARS bytes is cut to MAX_SCAN_CHARS + 1 bytes and the rest
    skipped: decoded, that is either too long or not ASCII, so classify() refuses it either
    way, and no input can make the command hold more than one short line.
    """
    while line := stream.readline(MAX_SCAN_CHARS + 1):
        if len(line) > MAX_SCAN_CHARS and not line.endswith(b"\n"):
            while (rest := stream.readline(MAX_SCAN_CHARS + 1)) and not rest.endswith(b"\n"):
                pass
        yield line.removesuffix(b"\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m terminal.idscan")
    commands = parser.add_subparsers(dest="command", required=True)
    decode = commands.add_parser(
        "decode", help="read scans on stdin, one per line; print one JSON object per scan"
    )
    decode.add_argument(
        "--today",
        type=dt.date.fromisoformat,
        help="the date that picks the century of two-digit years (default: the system date)",
    )
    args = parser.parse_args(argv)
    today = args.today or dt.date.today()
    for scan in read_scans(sys.stdin.buffer):
        # Bytes that are not UTF-8 become U+FFFD, which no document holds: refused, not fatal.
        document = classify(scan.decode("utf-8", errors="replace"), today=today)
        print(json.dumps(document.to_json()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

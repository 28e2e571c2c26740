"""`python -m tests.golden update`: draw every golden screen image again."""

from __future__ import annotations

import sys

from tests import golden


def main(argv: list[str]) -> int:
    if argv != ["update"]:
        print("usage: python -m tests.golden update", file=sys.stderr)
        return 2
    print(f"{golden.update()} golden screens written to {golden.DIRECTORY}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

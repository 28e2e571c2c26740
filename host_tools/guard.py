"""The last line of defence of every host command: whatever goes wrong, the user reads one
line, never a traceback (exit status 3); Ctrl-C is exit status 130."""

from __future__ import annotations

import sys
from collections.abc import Callable

EXIT_UNEXPECTED, EXIT_INTERRUPTED = 3, 130
# The lines of a command's "exit status:" help that `guarded` makes true.
GUARDED_EXIT_LINES = """\
  3    an unforeseen error (one line on stderr, no traceback)
  130  interrupted"""


def guarded(name: str, run: Callable[[], int]) -> int:
    """Run any host command: Ctrl-C is exit status 130, a failure nobody foresaw one line
    on stderr and exit status 3, never a traceback."""
    try:
        return run()
    except KeyboardInterrupt:
        print("interrupted / прервано", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # the last line of defence: no traceback reaches the user
        print(f"ошибка / error: {name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_UNEXPECTED

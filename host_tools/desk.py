"""The commission desk's commands after the polls close, each owned by its workflow folder:
collect/ (collect), results/ (status, results), audit/ (report).

Every command's run() returns its exit status. `guarded` runs every host command (these and
the others): a failure nobody foresaw still reaches the user as one line, never as a
traceback (exit status 3); Ctrl-C is exit status 130.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass

from host_tools.audit import command as report
from host_tools.collect import command as collect
from host_tools.results import command as results
from host_tools.results import status

EXIT_UNEXPECTED, EXIT_INTERRUPTED = 3, 130


@dataclass(frozen=True)
class DeskCommand:
    add_parser: Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]
    run: Callable[[argparse.Namespace], int]


DESK_COMMANDS = {
    "collect": DeskCommand(collect.add_parser, collect.run),
    "status": DeskCommand(status.add_parser, status.run),
    "results": DeskCommand(results.add_parser, results.run),
    "report": DeskCommand(report.add_parser, report.run),
}


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

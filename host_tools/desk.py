"""The commission desk's commands after the polls close, each owned by its workflow folder:
collect/ (collect), results/ (status, results), audit/ (report).

Every command's run() returns its exit status; host_tools/guard.py runs it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from host_tools.audit import command as report
from host_tools.collect import command as collect
from host_tools.results import command as results
from host_tools.results import status


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

"""Voter lists: reading the CEC's exchange files, reconciling them, and synthetic lists.

The `voterlist` command (commands.py) comes before any election package: the lists are what
a precinct's register is made from.
"""

from host_tools.voterlist.commands import (
    Category,
    CheckOptions,
    Country,
    Report,
    SyntheticList,
    add_voterlist_parser,
    check_files,
    check_lists,
    main,
    read_voter_list,
    render_report,
    run_voterlist,
    synthetic_list,
)

__all__ = [
    "Category",
    "CheckOptions",
    "Country",
    "Report",
    "SyntheticList",
    "add_voterlist_parser",
    "check_files",
    "check_lists",
    "main",
    "read_voter_list",
    "render_report",
    "run_voterlist",
    "synthetic_list",
]

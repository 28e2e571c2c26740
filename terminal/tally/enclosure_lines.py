"""The results protocol's lines of the enclosure controller, counted from the event log:
the slips its slot sensor counted into the ballot box and the openings of the seal or the
box's lid, while the polls were open. The terminal counts them so when it signs the
protocol, and the host so when it verifies a bundle (tally/bundle.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from terminal.tally.event_log import EventLog
from terminal.tally.protocol import ENCLOSURE_OPENINGS, SLIPS_COUNTED

SLIP_KINDS = ("enclosure_slip", "enclosure_slip_while_off")
OPENING_KINDS = ("enclosure_seal_opened", "enclosure_lid_opened", "enclosure_tamper_while_off")


def while_open(kinds: Iterable[str], counted: tuple[str, ...]) -> int:
    """How many of `kinds` (the log's, in order) are `counted` kinds logged while the polls
    were open."""
    count, open_ = 0, False
    for kind in kinds:
        if kind == "polls_opened":
            open_ = True
        elif kind == "polls_closed":
            open_ = False
        elif open_ and kind in counted:
            count += 1
    return count


def protocol_lines(log: EventLog) -> dict[str, int]:
    """The results protocol's enclosure lines, on a terminal that has a controller: the
    slips it counted into the box and the openings of the seal or lid while polls were open."""
    if not log.of_kind("enclosure_connected"):
        return {}
    kinds = [event.kind for event in log.events]
    return {
        SLIPS_COUNTED: while_open(kinds, SLIP_KINDS),
        ENCLOSURE_OPENINGS: while_open(kinds, OPENING_KINDS),
    }

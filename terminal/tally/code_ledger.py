"""The ballot codes a verified log shows: issued by a desk (to which booth, and whether the
coupon was printed), or used at a booth (and how many ballots each code cast).

The desk logs `ballot_code_issued` (booth, code hash) before it prints a coupon; the booth
logs `ballot_code_used` (code hash) before it records the code as used, then opens the
ballot (`ballot_issued`), which ends `ballot_cast` or `ballot_void`. Read in log order,
every ballot of a booth belongs to the code used last before it. The host sets these
ledgers against each other precinct by precinct (terminal/tally/reconcile.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import Enum

from terminal.tally.event_log import Log

# The events a ledger is read from; every other record of the log is passed over.
_KINDS = frozenset(
    {
        "ballot_code_issued",
        "ballot_code_used",
        "coupon_void",
        "print_started",
        "print_finished",
        "print_interrupted",
        "ballot_cast",
    }
)


class CouponFate(Enum):
    """What became of a code the desk made, by the events after it."""

    PRINTED = "printed"  # print_finished: the voter got the coupon
    INTERRUPTED = "interrupted"  # its printing was cut off: the coupon may be whole
    VOID = "void"  # coupon_void before its printing began: never on paper
    UNPRINTED = "unprinted"  # neither (a printer problem left unsolved before the close)


@dataclass(frozen=True)
class CodeLedger:
    """The codes of one terminal's log up to its close."""

    # At a desk: booth id -> code hash -> what became of the coupon.
    issued: dict[str, dict[str, CouponFate]] = field(default_factory=dict)
    # At a booth: code hash -> ballots cast with it (0 when its ballot was void).
    used: dict[str, int] = field(default_factory=dict)
    cast_without_code: int = 0  # ballots cast with no code used before them

    def fates(self) -> Counter[CouponFate]:
        return Counter(fate for codes in self.issued.values() for fate in codes.values())


def read_ledger(log: Log, end: int) -> CodeLedger:
    """The ledger of the first `end` records of a verified log."""
    wanted = {shape for shape, (_, kind, _data) in enumerate(log.meanings) if kind in _KINDS}
    issued: dict[str, dict[str, CouponFate]] = {}
    used: dict[str, int] = {}
    without = 0
    current: tuple[str, str] | None = None  # the desk's last code: (booth, hash)
    code: str | None = None  # the booth's last code used
    for shape in (s for s in log.shapes[:end] if s in wanted):
        _, kind, data = log.meanings[shape]
        if kind == "ballot_code_issued":
            current = (data["booth"], data["code"])
            issued.setdefault(current[0], {})[current[1]] = CouponFate.UNPRINTED
        elif kind == "ballot_code_used":
            code = data["code"]
            used.setdefault(code, 0)
        elif kind == "ballot_cast":
            if code is None:
                without += 1
            else:
                used[code] += 1
        elif current is not None:
            fate = _fate(kind, data, issued[current[0]][current[1]])
            issued[current[0]][current[1]] = fate
    return CodeLedger(issued, used, without)


def _fate(kind: str, data: dict[str, object], before: CouponFate) -> CouponFate:
    """A coupon's fate after one more printing event of the desk."""
    coupon = data.get("printout") == "coupon"
    if kind == "coupon_void" and before is CouponFate.UNPRINTED:
        return CouponFate.VOID
    if kind == "print_finished" and coupon:
        return CouponFate.PRINTED
    if kind == "print_interrupted" and coupon and before is not CouponFate.PRINTED:
        return CouponFate.INTERRUPTED
    return before

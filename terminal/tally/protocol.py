"""The results protocol (протокол): the signed totals of one terminal, and its QR form.

The JSON holds the election, precinct and terminal ids, the software's hash, the lines
of a precinct protocol, the votes per choice, the ballot-box commitment and the event-log
checkpoint at close. It is signed like every artifact (protocol.json + protocol.json.sig).

Printed, the protocol and its signature travel as QR codes. The text
    base64(protocol.json) "." base64(signature)
is cut into parts of at most PART_CHARS characters, each carried by one QR code as
    TP1:<i>:<n>:<first 8 hex of SHA-256(protocol.json)>:<chunk>
so that an observer can put the parts in order, know they belong together, and check the
signature with stock tools (docs/verify-by-hand.md).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any

from terminal.jsonfmt import Fields, FormatError, canonical_json, load_object

FORMAT = "tamga-protocol/1"
QR_PREFIX = "TP1"
# 220 characters make QR version 11 at level M: 5 dots a module leave 58 mm paper room to
# print each code a second time, shifted (terminal/app/printouts.py). Measured with the
# degradation suite (tests/qr_degradation.py, bench/qr.py): 4-dot modules fail a blurred
# phone photo, and one copy of each code fails a dead print-head dot through a finder.
PART_CHARS = 220

LINES = (
    "voters_on_register",
    "voters_received_ballot",
    "ballots_issued",
    "ballots_void",
    "ballots_cast",
    "damaged_slots",
    "coupons_issued",
    "coupons_void",
    "codes_refused",
    "issued_on_bare_number",
)
# Only on a terminal with an enclosure controller: the paper slips its slot sensor counted
# into the ballot box while the polls were open, beside the ballots cast, and how often its
# seal or the box's lid was opened then (or found opened while the terminal was off).
SLIPS_COUNTED = "slips_counted"
ENCLOSURE_OPENINGS = "enclosure_openings"
OPTIONAL_LINES = (SLIPS_COUNTED, ENCLOSURE_OPENINGS)


@dataclass(frozen=True)
class ContestResult:
    votes: dict[str, int]
    blank: int


@dataclass(frozen=True)
class Protocol:
    election: str
    precinct: str
    terminal: str
    mode: str
    software: str
    lines: dict[str, int]
    contests: dict[str, ContestResult]
    ballots_commitment: str  # SHA-256 hex of ballots.commitment.json
    log_size: int
    log_head: str  # hex

    def to_json(self) -> bytes:
        return canonical_json(
            {
                "format": FORMAT,
                "election": self.election,
                "precinct": self.precinct,
                "terminal": self.terminal,
                "mode": self.mode,
                "software": self.software,
                "lines": self.lines,
                "contests": {
                    cid: {"votes": r.votes, "blank": r.blank} for cid, r in self.contests.items()
                },
                "ballot_box": {"commitment_sha256": self.ballots_commitment},
                "log": {"size": self.log_size, "head": self.log_head},
            }
        )

    @classmethod
    def from_json(cls, data: bytes, source: str = "protocol.json") -> Protocol:
        f = load_object(data, source)
        if f.str("format") != FORMAT:
            raise FormatError(f"{source}: format must be {FORMAT!r}")
        lines_f = f.obj("lines")
        optional = [name for name in OPTIONAL_LINES if name in lines_f.value]
        lines = {name: lines_f.int(name) for name in (*LINES, *optional)}
        if set(lines_f.value) != set(lines):
            raise FormatError(
                f"{source}: lines must be exactly {list(LINES)}, and {list(OPTIONAL_LINES)} "
                "where the terminal has an enclosure controller"
            )
        contests = {}
        contests_f = f.obj("contests")
        for cid in contests_f.value:
            c: Fields = contests_f.obj(cid)
            votes_f = c.obj("votes")
            contests[cid] = ContestResult(
                votes={choice: votes_f.int(choice) for choice in votes_f.value},
                blank=c.int("blank"),
            )
        log = f.obj("log")
        protocol = cls(
            election=f.str("election"),
            precinct=f.str("precinct"),
            terminal=f.str("terminal"),
            mode=f.str("mode"),
            software=f.hex("software", 32).hex(),
            lines=lines,
            contests=contests,
            ballots_commitment=f.obj("ballot_box").hex("commitment_sha256", 32).hex(),
            log_size=log.int("size", 1),
            log_head=log.hex("head", 32).hex(),
        )
        if protocol.to_json() != data:
            raise FormatError(f"{source}: not in canonical form")
        return protocol

    def summary(self) -> dict[str, Any]:
        return {cid: dict(r.votes) for cid, r in self.contests.items()}


def qr_parts(protocol_json: bytes, signature: bytes) -> list[str]:
    """The QR payloads that carry a signed protocol, in order."""
    text = base64.b64encode(protocol_json).decode() + "." + base64.b64encode(signature).decode()
    tag = hashlib.sha256(protocol_json).hexdigest()[:8]
    chunks = [text[i : i + PART_CHARS] for i in range(0, len(text), PART_CHARS)]
    return [f"{QR_PREFIX}:{i}:{len(chunks)}:{tag}:{c}" for i, c in enumerate(chunks, 1)]


def join_qr_parts(parts: list[str]) -> tuple[bytes, bytes]:
    """The protocol JSON and signature from scanned parts, in any order.

    Raises FormatError when parts are missing, repeated, foreign or damaged.
    """
    found: dict[int, str] = {}
    total = tag = None
    for part in parts:
        fields = part.strip().split(":", 4)
        if len(fields) != 5 or fields[0] != QR_PREFIX:
            raise FormatError(f"QR code is not part of a Tamga protocol: {part[:24]!r}")
        try:
            index, count = int(fields[1]), int(fields[2])
        except ValueError as exc:
            raise FormatError("QR part number is not a number") from exc
        if total is None:
            total, tag = count, fields[3]
        if count != total or fields[3] != tag:
            raise FormatError("QR parts come from different protocols")
        if not 1 <= index <= count:
            raise FormatError(f"QR part {index} of {count} is out of range")
        if index in found and found[index] != fields[4]:
            raise FormatError(f"two different QR parts say they are part {index}")
        found[index] = fields[4]
    if total is None or len(found) != total:
        missing = sorted(set(range(1, (total or 1) + 1)) - set(found))
        raise FormatError(f"QR parts missing: {missing}")
    text = "".join(found[i] for i in range(1, total + 1))
    try:
        body, sig = text.split(".")
        protocol_json = base64.b64decode(body, validate=True)
        signature = base64.b64decode(sig, validate=True)
    except (ValueError, binascii.Error) as exc:
        raise FormatError("QR parts do not join into a protocol and signature") from exc
    if hashlib.sha256(protocol_json).hexdigest()[:8] != tag:
        raise FormatError("joined protocol does not match the parts' hash tag")
    return protocol_json, signature

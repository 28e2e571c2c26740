"""One function per parser: bytes in, and only the parser's own error type may come out.

Anything else (a crash, a different exception, a hang) is a finding. Each target is also
run over a fixed seed corpus by tests/test_fuzz_targets.py, so the default test run checks
that the targets themselves work.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tomllib
from collections.abc import Callable
from pathlib import Path

from terminal.ballot.election import Election
from terminal.ballot.logo import LogoError, check_logo
from terminal.hal import escpos
from terminal.hal.board_config import BoardConfigError, parse_board_config
from terminal.hal.evdev_touch import TouchDecoder, TouchMapping, TouchProtocol
from terminal.hal.panel_protocol import decode_touch
from terminal.idscan.ballot_codes import check_code
from terminal.idscan.scans import classify
from terminal.jsonfmt import FormatError
from terminal.tally.ballot_box import Commitment, split_records
from terminal.tally.event_log import Checkpoint, LogError, parse_log
from terminal.tally.protocol import Protocol, join_qr_parts
from terminal.tally.sealing import SealError, check_record
from terminal.trust import chair
from terminal.trust.shares import ShareCollector
from terminal.trust.signing import SigningKey

KEY = SigningKey.generate().public


def election(data: bytes) -> None:
    with contextlib.suppress(FormatError):
        Election.from_json(data)


def logo(data: bytes) -> None:
    with contextlib.suppress(LogoError):
        check_logo(data, "fuzz")


def protocol(data: bytes) -> None:
    with contextlib.suppress(FormatError):
        Protocol.from_json(data)


def protocol_qr(data: bytes) -> None:
    with contextlib.suppress(FormatError):
        join_qr_parts(data.decode("utf-8", "replace").split("\n"))


def commitment(data: bytes) -> None:
    with contextlib.suppress(FormatError):
        Commitment.from_json(data, "fuzz")


def event_log(data: bytes) -> None:
    with contextlib.suppress(LogError):
        parse_log(data)


def checkpoint(data: bytes) -> None:
    with contextlib.suppress(LogError):
        Checkpoint.from_bytes(data, "fuzz", "open")


def ballots(data: bytes) -> None:
    try:
        for record in split_records(data, "fuzz"):
            check_record(record, KEY)
    except (FormatError, SealError):
        pass


def escpos_stream(data: bytes) -> None:
    decoder = escpos.EscPosDecoder()
    page = escpos.Page(384)
    for event in decoder.feed(data):
        if isinstance(event, escpos.RasterBand):
            page.add_band(event)


def touch_line(data: bytes) -> None:
    with contextlib.suppress(FormatError):
        decode_touch(data)


def board_config(data: bytes) -> None:
    try:
        table = tomllib.loads(data.decode("utf-8", "replace"))
    except tomllib.TOMLDecodeError:
        return
    with contextlib.suppress(BoardConfigError):
        parse_board_config(table, Path("fuzz.toml"))


def cards(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    chair.parse_card(text)
    collector = ShareCollector("E", "P", bytes(32))
    for line in text.split("\n")[:4]:
        collector.add(line)


def document(data: bytes) -> None:
    # classify never raises: any exception is a finding.
    classify(data.decode("utf-8", "replace"), "", today=dt.date(2026, 11, 22))


def ballot_code(data: bytes) -> None:
    check_code(data.decode("utf-8", "replace"), "E", "P", "T-1", bytes(32), 29_000_000, 30)


MAPPING = TouchMapping((0, 4095), (0, 4095), False, False, False, 800, 480, 0)


def touch_stream(data: bytes) -> None:
    """Raw evdev events (type, code, value) through both touch decoders."""
    for protocol in TouchProtocol:
        decoder = TouchDecoder(protocol, MAPPING)
        for i in range(0, len(data) - 3, 4):
            kind, code = data[i] % 4, data[i + 1] % 64
            value = int.from_bytes(data[i + 2 : i + 4], "little", signed=True)
            decoder.feed(kind, code, value)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "document": document,
    "ballot_code": ballot_code,
    "touch_stream": touch_stream,
    "election": election,
    "logo": logo,
    "protocol": protocol,
    "protocol_qr": protocol_qr,
    "commitment": commitment,
    "event_log": event_log,
    "checkpoint": checkpoint,
    "ballots": ballots,
    "escpos": escpos_stream,
    "touch": touch_line,
    "board_config": board_config,
    "cards": cards,
}

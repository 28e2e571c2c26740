"""The fuzz targets run (and survive) a fixed corpus of valid and broken inputs."""

from __future__ import annotations

import random
import struct
import zlib
from pathlib import Path

import pytest

from fuzz.targets import TARGETS
from terminal.hal import escpos

REPO = Path(__file__).resolve().parents[1]

SEEDS = [
    b"",
    b"{}",
    b'{"format":"tamga-protocol/1"}',
    b"\xff\xfe\x00",
    b"tamga/E/P/T\n3\nAAAA\n",
    b'{"seq":0,"time":"t","clock":"c","kind":"polls_opened","data":{},"prev":"'
    + b"0" * 64
    + b'"}\n',
    b"TP1:1:2:abcd1234:AAAA\nTP1:2:2:abcd1234:BBBB",
    b"[terminal]\nrole = 'combined'\n",
    b'{"x": 1, "y": 2, "down": true}',
    b"TAMGA-SHARE:1:E:P:academic acid\nTAMGA-CHAIR:1:E:P:AAAA",
    escpos.initialize() + escpos.cut(),
    b"\x1dv0\x00\xff\xff\xff\xff",
]


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_target_survives_its_corpus(name: str) -> None:
    rng = random.Random(name)
    inputs = [*SEEDS, *(rng.randbytes(rng.randrange(200)) for _ in range(200))]
    for data in inputs:
        TARGETS[name](data)


def test_a_logo_with_any_bytes_changed_is_drawn_or_refused_by_its_own_error() -> None:
    """A PNG's chunks have CRCs and its image data is zlib: a changed byte anywhere must
    end in LogoError (or a logo that still reads), never another exception."""
    with (REPO / "examples" / "logos" / "ala-too.png").open("rb") as stream:
        valid = stream.read()
    rng = random.Random(14)
    for _ in range(400):
        changed = bytearray(valid)
        for _ in range(rng.randrange(1, 4)):
            changed[rng.randrange(8, len(changed))] ^= 1 << rng.randrange(8)
        TARGETS["logo"](bytes(changed))
        TARGETS["logo"](valid[: rng.randrange(len(valid))])
        TARGETS["logo"](with_crcs_fixed(changed))


def with_crcs_fixed(data: bytearray) -> bytes:
    """The PNG with every chunk's CRC made right again, so that a changed byte reaches the
    decoder (zlib, filters, the header's fields) instead of failing the CRC check."""
    out, at = bytearray(data[:8]), 8
    while at + 8 <= len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        body = bytes(data[at + 4 : at + 8 + length])
        if at + 12 + length > len(data):
            break
        out += data[at : at + 4] + body + struct.pack(">I", zlib.crc32(body))
        at += 12 + length
    return bytes(out)

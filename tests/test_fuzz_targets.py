"""The fuzz targets run (and survive) a fixed corpus of valid and broken inputs."""

from __future__ import annotations

import random

import pytest

from fuzz.targets import TARGETS
from terminal.hal import escpos

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

"""The results protocol's QR codes survive thermal paper and a phone (issue 12): faded print,
a dead print-head dot column, a phone photo, and all three, each read fully by zbarimg.

A few trials here; bench/qr.py runs many and prints the rates (target >= 95 % each)."""

from __future__ import annotations

import random

import pytest
from PIL import Image

from terminal.app import printouts
from terminal.tally.protocol import qr_parts
from tests import qr_degradation as q
from tests.test_printouts import english, protocol_printout

TRIALS = 4


@pytest.fixture(scope="module")
def printed() -> tuple[Image.Image, list[str]]:
    printout, _ = protocol_printout()
    image = printouts.protocol(printout, english, printouts.Paper(384))
    return image, qr_parts(printout.protocol.to_json(), printout.signature)


@pytest.mark.parametrize("degradation", sorted(q.DEGRADATIONS))
def test_the_protocol_decodes_fully_after(
    printed: tuple[Image.Image, list[str]], degradation: str
) -> None:
    image, parts = printed
    assert q.success_rate(image, parts, degradation, TRIALS, seed=7) == 1.0


def test_a_dead_dot_through_every_first_copys_finder_leaves_the_second_copies(
    printed: tuple[Image.Image, list[str]],
) -> None:
    """The worst dead dot there is: the column through the centre of the left finder pattern
    of the first copy of every code (all first copies start at the left edge). Printed once,
    no code would read; the shifted second copies all do."""
    image, parts = printed
    module = printouts.PROTOCOL_QR_MODULE
    centre = (printouts.QR_QUIET_ZONE + 3) * module + module // 2
    for column in (centre, centre + printouts.PROTOCOL_QR_SHIFT * module):
        grey = image.convert("L")
        grey.paste(255, (column, 0, column + 1, grey.height))
        assert q.decodes(grey, parts), column


def test_the_copies_of_each_code_are_shifted_apart(printed: tuple[Image.Image, list[str]]) -> None:
    image, parts = printed
    assert q.zbar(image).count(parts[0]) == 2  # each part printed, and read, twice
    rng = random.Random(1)
    assert q.decodes(q.dead_dot(image, rng), parts)

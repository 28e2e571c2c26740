"""Comparing the guest's framebuffer with the host's rendering of the same screen.

The guest renders with Debian's Pillow 9.4 and FreeType 2.12, the host with whatever its
virtual environment has: glyph edges may differ by a shade or a pixel, so screens match
within a tolerance rather than exactly. Some consecutive screens differ by less than that
tolerance (a PIN key adds one dot), so a capture must also be nearer the screen expected now
than the one shown before it, or the host would take the old picture for the new one.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

# A pixel differs when a colour channel is off by more than this (anti-aliasing shades of
# the same glyph stay below it; a glyph moved by a pixel does not).
PIXEL_THRESHOLD = 64
# At most this fraction of the screen's pixels may differ: measured differences between
# Pillow 9.4 in the guest and the host's Pillow are far below it (see the run's report).
TOLERANCE = 0.01
# Screens whose content is random per terminal: the receipt's tracking code is a hash of a
# ballot encrypted with fresh nonces, so the guest's and its shadow's codes always differ
# (about 1 % of the screen); the rest of the screen must still match.
RANDOM_CONTENT_TOLERANCE = {"receipt": 0.03}


def difference(a: Image.Image, b: Image.Image) -> float:
    """The fraction of pixels that differ between two pictures of the same size."""
    if a.size != b.size:
        return 1.0
    left = np.asarray(a.convert("RGB"), dtype=np.int16)
    right = np.asarray(b.convert("RGB"), dtype=np.int16)
    differs = (np.abs(left - right) > PIXEL_THRESHOLD).any(axis=2)
    return float(differs.mean())


def matches(
    captured: Image.Image,
    expected: Image.Image,
    previous: Image.Image | None,
    tolerance: float = TOLERANCE,
) -> tuple[bool, float]:
    """Whether the capture shows `expected` (not still `previous`); and its difference."""
    distance = difference(captured, expected)
    if distance > tolerance:
        return False, distance
    if previous is not None and difference(previous, expected) > 0.0:
        return distance < difference(captured, previous), distance
    return True, distance


# Printouts are 1-bit: the guest's FreeType puts a few glyph-edge dots elsewhere (measured:
# 31 of 102,144 dots on a slip, 0.03%); another voter's slip differs by a whole name, which is
# thousands of dots.
PRINTOUT_TOLERANCE = 0.002


def same_printout(
    printed: Image.Image, expected: Image.Image, tolerance: float = PRINTOUT_TOLERANCE
) -> bool:
    """The printout is the expected image within `tolerance` of its dots, followed only by
    the blank paper fed for the cut."""
    if printed.width != expected.width or printed.height < expected.height:
        return False
    top = np.asarray(printed.crop((0, 0, expected.width, expected.height)).convert("1"))
    rest = np.asarray(
        printed.crop((0, expected.height, printed.width, printed.height)).convert("1")
    )
    if rest.size and not rest.all():
        return False  # ink below the slip: something else was printed on the same paper
    return float((top != np.asarray(expected.convert("1"))).mean()) <= tolerance

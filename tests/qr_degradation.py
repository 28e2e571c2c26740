"""How printed QR codes suffer on real thermal paper and in a phone's camera.

Shared by the tests (tests/test_qr_degradation.py, a few trials) and the bench (bench/qr.py,
many): each degradation takes the printer's 1-bit raster and a random generator and returns
the image a scanner would see; `decodes` says whether zbarimg reads every expected payload.
"""

from __future__ import annotations

import io
import random
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from PIL import Image, ImageFilter

# Faded print: the black of a worn head or old paper is grey, the paper itself greyish.
FADED_INK, FADED_PAPER = 160, 215
PHOTO_BLUR, PHOTO_ROTATE, PHOTO_JPEG = 1.0, 3.0, 50


def faded(image: Image.Image, rng: random.Random) -> Image.Image:
    grey = image.convert("L")
    return grey.point(lambda v: FADED_INK if v < 128 else FADED_PAPER)


def dead_dot(image: Image.Image, rng: random.Random) -> Image.Image:
    """One print-head element dead: one dot column never prints, top to bottom."""
    grey = image.convert("L")
    column = rng.randrange(grey.width)
    grey.paste(255, (column, 0, column + 1, grey.height))
    return grey


def phone_photo(image: Image.Image, rng: random.Random) -> Image.Image:
    """Blurred, a little askew (either way), and JPEG-compressed as a phone stores it. The
    photo frames the paper: what rotation brings into the corners is more paper (its most
    common shade), not a white brighter than the paper, which no photo of grey paper has."""
    grey = image.convert("L")
    histogram = grey.histogram()
    paper = max(range(256), key=histogram.__getitem__)
    grey = grey.filter(ImageFilter.GaussianBlur(PHOTO_BLUR))
    angle = PHOTO_ROTATE * rng.choice((-1, 1))
    turned = grey.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=paper)
    buffer = io.BytesIO()
    turned.save(buffer, "JPEG", quality=PHOTO_JPEG)
    buffer.seek(0)
    return Image.open(buffer).convert("L")


def all_three(image: Image.Image, rng: random.Random) -> Image.Image:
    return phone_photo(faded(dead_dot(image, rng), rng), rng)


DEGRADATIONS: dict[str, Callable[[Image.Image, random.Random], Image.Image]] = {
    "faded": faded,
    "dead_dot": dead_dot,
    "phone_photo": phone_photo,
    "all_three": all_three,
}


def zbar(image: Image.Image) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scan.png"
        image.save(path)
        result = subprocess.run(
            ["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", str(path)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    return [line for line in result.stdout.splitlines() if line]


def decodes(image: Image.Image, expected: Sequence[str]) -> bool:
    """Whether zbarimg reads every expected payload from the image."""
    return set(expected) <= set(zbar(image))


def success_rate(
    image: Image.Image, expected: Sequence[str], degradation: str, trials: int, seed: int = 1
) -> float:
    rng = random.Random(seed)
    apply = DEGRADATIONS[degradation]
    return sum(decodes(apply(image, rng), expected) for _ in range(trials)) / trials

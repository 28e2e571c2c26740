"""The paper: a ballot manifest of the boxes' slips, and reading one slip's QR code.

The manifest numbers every slip: precinct by precinct in the order given, slip 1..n of a
precinct in the order of its stack (for scanned or photographed slips, the file names in
sorted order). Ballot b of the manifest is slip k of precinct P; that is what an audit
board pulls from the box.
"""

from __future__ import annotations

import subprocess  # nosec B404: zbarimg, a fixed argument list, no shell
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from terminal.ballot import slip_code
from terminal.ballot.election import Election

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
ZBAR_SECONDS = 20


class PaperError(Exception):
    """The paper cannot be audited as given (the message names the box or file)."""


@dataclass(frozen=True)
class Box:
    """One precinct's slips: their count, and their images when scanned or photographed."""

    precinct: str
    images: tuple[Path, ...]

    @property
    def slips(self) -> int:
        return len(self.images)


@dataclass(frozen=True)
class Manifest:
    boxes: tuple[Box, ...]

    @property
    def ballots(self) -> int:
        return sum(box.slips for box in self.boxes)

    def locate(self, ballot: int) -> tuple[Box, int]:
        """Ballot `ballot` (1-based over the manifest) as (box, slip number 1..n)."""
        if not 1 <= ballot <= self.ballots:
            raise ValueError(f"ballot {ballot} is outside the manifest of {self.ballots}")
        for box in self.boxes:
            if ballot <= box.slips:
                return box, ballot
            ballot -= box.slips
        raise AssertionError("unreachable: the ballot lies within the manifest")


def read_box(precinct: str, directory: Path, pattern: str, election: Election) -> Box:
    """The box of `precinct` from a directory of slip images (files matching `pattern`)."""
    if election.precinct(precinct) is None:
        raise PaperError(f"--slips {precinct}: precinct {precinct!r} is not in the election")
    if not directory.is_dir():
        raise PaperError(f"--slips {precinct}={directory}: not a directory")
    images = tuple(
        sorted(
            p for p in directory.glob(pattern)
            if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file() and not p.is_symlink()
        )
    )  # fmt: skip
    if not images:
        raise PaperError(f"--slips {precinct}={directory}: no slip images matching {pattern!r}")
    return Box(precinct, images)


def manifest(boxes: Sequence[Box]) -> Manifest:
    """The manifest of these boxes, each precinct once."""
    seen = [box.precinct for box in boxes]
    if len(set(seen)) != len(seen):
        raise PaperError("a precinct's box is given twice")
    return Manifest(tuple(boxes))


@dataclass(frozen=True)
class ReadSlip:
    record: slip_code.SlipRecord | None  # None: no decoder could read a slip code on it
    decoder: str  # "zbar", "zxing-cpp", or "" when unread
    problem: str = ""


def _zbar(path: Path) -> list[str]:
    result = subprocess.run(  # nosec B603 B607: zbarimg from PATH on the host
        ["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", str(path)],
        capture_output=True, text=True, timeout=ZBAR_SECONDS,
    )  # fmt: skip
    return [line for line in result.stdout.splitlines() if line.strip()]


def _zxing(path: Path) -> list[str]:
    import zxingcpp  # the host's second decoder: another code base, other failure modes

    try:
        with Image.open(path) as image:
            return [r.text for r in zxingcpp.read_barcodes(image.convert("L")) if r.text]
    except (OSError, UnidentifiedImageError):
        return []


def read_slip(path: Path, election: Election, precinct: str) -> ReadSlip:
    """The slip code on one image: zbar first, zxing-cpp where zbar finds no slip code. A
    code of another precinct's box is a finding, never silently counted."""
    problems = []
    for name, decoder in (("zbar", _zbar), ("zxing-cpp", _zxing)):
        for payload in decoder(path):
            try:
                record = slip_code.decode(payload, election)
            except slip_code.SlipError as exc:
                problems.append(f"{name}: {exc}")
                continue
            if record.precinct != precinct:
                return ReadSlip(None, name, f"a slip of precinct {record.precinct} in this box")
            return ReadSlip(record, name)
    return ReadSlip(None, "", "; ".join(problems) or "no slip code found by zbar or zxing-cpp")

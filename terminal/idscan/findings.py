"""What is wrong with a scanned document: a reason code the terminal can act on, and a
precise message for the person holding the document.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Problem(Enum):
    """Why a scan was not accepted, coarse enough to choose what the poll worker is told."""

    # Not an IIN, a PIN or a machine-readable zone at all: wrong shape, length or characters.
    UNRECOGNISED = "unrecognised"
    # The right shape, but a field holds something that field cannot hold (a 13th month,
    # a letter in a date, a sex code other than M/F/X/<, a national number that is not one).
    MALFORMED = "malformed"
    # A check digit disagrees with its data: most often a misread, so scanning again helps.
    CHECK_DIGIT = "check_digit"
    # Every part is valid on its own but the national number and the MRZ disagree
    # (birth date or sex): the document is altered or assembled from two people's data.
    MISMATCH = "mismatch"


@dataclass(frozen=True)
class Finding:
    problem: Problem
    message: str

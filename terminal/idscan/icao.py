"""The codes ICAO Doc 9303 Part 3 allows for an issuing state or organization and for a
nationality: ISO 3166-1 alpha-3 plus ICAO's own (D, UNO, XXA, ...), in icao_codes.toml."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

CODES_FILE = Path(__file__).with_name("icao_codes.toml")
# The election's country (election.json `country`) as the MRZ writes a nationality.
ELECTION_NATIONALITY = {"KG": "KGZ", "KZ": "KAZ"}


@cache
def _codes() -> frozenset[str]:
    data = tomllib.loads(CODES_FILE.read_text(encoding="utf-8"))
    return frozenset(data["iso"]) | frozenset(data["icao"])


def is_icao_code(code: str) -> bool:
    """True for a code Doc 9303 allows in the issuing-state and nationality fields."""
    return code in _codes()

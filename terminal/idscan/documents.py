"""Where each country's documents carry the national number: documents.toml, checked on load.

The positions are data, not code, because they come from specimens and public descriptions
that must still be confirmed against real documents (docs/documents.md): correcting one is
an edit of the data file, and the tests then show what it changes.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from terminal.idscan.mrz import Field, Format, Mrz

PLACEMENTS_FILE = Path(__file__).with_name("documents.toml")
# How many characters each optional data field has in each format (Parts 4, 5 and 6).
_WIDTHS = {
    (Format.TD1, Field.OPTIONAL_DATA): 15,
    (Format.TD1, Field.OPTIONAL_DATA_2): 11,
    (Format.TD2, Field.OPTIONAL_DATA): 7,
    (Format.TD3, Field.OPTIONAL_DATA): 14,
}


class NumberKind(Enum):
    IIN = "IIN"  # Kazakhstan (iin.py)
    PIN = "PIN"  # Kyrgyzstan (pin.py)

    @property
    def length(self) -> int:
        return 12 if self is NumberKind.IIN else 14


@dataclass(frozen=True)
class Placement:
    number: NumberKind
    field: Field
    offset: int
    length: int

    def extract(self, mrz: Mrz) -> str:
        """The characters of the MRZ where the national number should be."""
        return mrz.field(self.field)[self.offset : self.offset + self.length]


def load_placements(text: str, source: str) -> dict[tuple[str, Format], Placement]:
    """Parse and check the placements file; ValueError says which entry is wrong."""
    placements: dict[tuple[str, Format], Placement] = {}
    for country, formats in tomllib.loads(text).items():
        if not (isinstance(formats, dict) and len(country) == 3 and country.isupper()):
            raise ValueError(f"{source}: {country!r} is not a table named by a country code")
        for name, entry in formats.items():
            where = f"{source}: [{country}.{name}]"
            try:
                fmt = Format(name)
            except ValueError:
                raise ValueError(f"{where}: the format must be TD1, TD2 or TD3") from None
            placements[country, fmt] = _placement(entry, fmt, where)
    return placements


def _placement(entry: Any, fmt: Format, where: str) -> Placement:
    if not isinstance(entry, dict) or set(entry) != {"number", "field", "offset", "length"}:
        raise ValueError(f"{where}: needs exactly number, field, offset and length")
    try:
        number, field = NumberKind(entry["number"]), Field(entry["field"])
    except ValueError:
        raise ValueError(f"{where}: number must be IIN or PIN, field a Field name") from None
    offset, length = entry["offset"], entry["length"]
    width = _WIDTHS.get((fmt, field))
    if width is None:
        raise ValueError(f"{where}: {fmt.value} has no {field.value} field")
    # bool is an int to Python, and true must not pass for 1.
    if type(offset) is not int or type(length) is not int or length != number.length:
        raise ValueError(f"{where}: offset must be a whole number, length {number.length}")
    if not 0 <= offset <= width - length:
        raise ValueError(f"{where}: the number does not fit in the {width}-character field")
    return Placement(number, field, offset, length)


PLACEMENTS = load_placements(PLACEMENTS_FILE.read_text(encoding="utf-8"), str(PLACEMENTS_FILE))


def placement(country: str, fmt: Format) -> Placement | None:
    """Where documents of this issuing state and format hold the national number, if any."""
    return PLACEMENTS.get((country, fmt))

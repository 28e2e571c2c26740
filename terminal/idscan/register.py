"""The precinct's voter register, as delivered in the signed election package.

Fields follow the CEC voter-list rules: surname, name, patronymic, birth date, PIN/IIN,
document number and issue date, address, precinct code. A voter's position in the
register is the address of their mark (see marks.py), so the order is fixed by the package.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from terminal.jsonfmt import FormatError, canonical_json, load_object

FORMAT = "tamga-register/1"


@dataclass(frozen=True)
class Voter:
    surname: str
    name: str
    patronymic: str
    birth_date: dt.date
    number: str  # PIN (KG) or IIN (KZ)
    document: str
    document_issued: dt.date
    address: str
    precinct: str

    def full_name(self) -> str:
        return " ".join(part for part in (self.surname, self.name, self.patronymic) if part)


@dataclass(frozen=True)
class Register:
    precinct: str
    voters: tuple[Voter, ...]
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, int] = {}
        for position, voter in enumerate(self.voters):
            if voter.number in index:
                raise FormatError(
                    f"register: number at entries {index[voter.number]} and {position} is the same"
                )
            index[voter.number] = position
        object.__setattr__(self, "_index", index)

    def find(self, number: str) -> int | None:
        """The register position of the voter with this PIN/IIN, or None."""
        return self._index.get(number)

    def to_json(self) -> bytes:
        return canonical_json(
            {
                "format": FORMAT,
                "precinct": self.precinct,
                "voters": [_voter_to_dict(v) for v in self.voters],
            }
        )

    @classmethod
    def from_json(cls, data: bytes, source: str = "register") -> Register:
        f = load_object(data, source)
        if f.str("format") != FORMAT:
            raise FormatError(f"{source}: format must be {FORMAT!r}")
        precinct = f.str("precinct")
        voters = []
        for v in f.objects("voters"):
            try:
                birth = dt.date.fromisoformat(v.str("birth_date"))
                issued = dt.date.fromisoformat(v.str("document_issued"))
            except ValueError as exc:
                raise FormatError(f"{v.where}: dates must be YYYY-MM-DD") from exc
            voters.append(
                Voter(
                    surname=v.str("surname"),
                    name=v.str("name"),
                    patronymic=v.str("patronymic"),
                    birth_date=birth,
                    number=v.str("number"),
                    document=v.str("document"),
                    document_issued=issued,
                    address=v.str("address"),
                    precinct=v.str("precinct"),
                )
            )
        return cls(precinct, tuple(voters))


def _voter_to_dict(v: Voter) -> dict[str, Any]:
    return {
        "surname": v.surname,
        "name": v.name,
        "patronymic": v.patronymic,
        "birth_date": v.birth_date.isoformat(),
        "number": v.number,
        "document": v.document,
        "document_issued": v.document_issued.isoformat(),
        "address": v.address,
        "precinct": v.precinct,
    }

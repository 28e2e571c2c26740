"""What a scanner delivers, classified: a bare IIN or PIN (a 1D or 2D barcode), or the lines
of a machine-readable zone (an MRZ reader, or a 2D code carrying it) joined by CR.

A payload may start with an AIM symbology identifier (ISO/IEC 15424: ']', a code letter, a
modifier, e.g. ]C0 Code 128, ]Q1 QR, ]L2 PDF417) unless the driver has already taken it
off and passed it separately. Everything else is refused with a message that says why.

The result is a Document ready for a decision: it is valid only when every check passed,
and then it says which national number to look up and which country issued the document.
Whether that country, document or expiry is acceptable is decided elsewhere.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import Enum

from terminal.idscan.documents import NumberKind, Placement, placement
from terminal.idscan.findings import Finding, Problem
from terminal.idscan.iin import IIN_LENGTH, Iin, IinCheckDigitError, IinError, parse_iin
from terminal.idscan.mrz import Format, Mrz, MrzError, parse_mrz
from terminal.idscan.pin import PIN_LENGTH, Pin, PinError, Sex, parse_pin

# The serial scanner driver keeps at most 4096 bytes of one scan; the longest document
# payload (a TD1 MRZ) is 92 characters, so anything longer is refused before it is read.
MAX_SCAN_CHARS = 4096
_AIM_ID = re.compile(r"\][A-Za-z][0-9A-Za-z]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# AIM code letter E is EAN/UPC, the barcodes on goods: a UPC-A has 12 digits, the shape of
# an IIN, and is refused for what it is rather than as an IIN with a wrong check digit.
_PRODUCT_CODE = "E"
_COUNTRY = {NumberKind.IIN: "KAZ", NumberKind.PIN: "KGZ"}


class Kind(Enum):
    TD1 = "TD1"
    TD2 = "TD2"
    TD3 = "TD3"
    IIN = "IIN"
    PIN = "PIN"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Document:
    """One scan as read. Fields are None when the scan does not carry them or they could not
    be read; `valid` is what to act on: the fields of an invalid scan are only for display.
    """

    kind: Kind
    symbology: str  # the AIM identifier, "" when the scanner gave none
    errors: tuple[Finding, ...]
    country: str | None = None  # issuing state (MRZ), or KAZ/KGZ for a bare IIN/PIN
    number: str | None = None  # the IIN or PIN, once it passed its own checks
    birth_date: dt.date | None = None
    sex: Sex | None = None
    expiry: dt.date | None = None
    document_number: str | None = None
    nationality: str | None = None
    surname: str | None = None
    given_names: str | None = None

    @property
    def valid(self) -> bool:
        return self.kind is not Kind.UNKNOWN and not self.errors

    def to_json(self) -> dict[str, object]:
        """The document as a JSON object (the decode command prints one per scan)."""
        return {
            "valid": self.valid,
            "document": self.kind.value,
            "country": self.country,
            "number": self.number,
            "birth_date": _iso(self.birth_date),
            "expiry": _iso(self.expiry),
            "sex": None if self.sex is None else self.sex.value,
            "document_number": self.document_number,
            "nationality": self.nationality,
            "surname": self.surname,
            "given_names": self.given_names,
            "symbology": self.symbology or None,
            "errors": [f.message for f in self.errors],
            "problems": [f.problem.value for f in self.errors],
        }


def classify(data: str, symbology: str = "", *, today: dt.date) -> Document:
    """Classify and check one scan; never raises. `today` chooses the century of the MRZ's
    two-digit years and rejects birth dates in the future.
    """
    if symbology and not _AIM_ID.fullmatch(symbology):
        return _refused(
            "", f"{symbology[:8]!a} is not an AIM symbology identifier (like ]C0 or ]Q1)"
        )
    if len(data) > MAX_SCAN_CHARS:
        return _refused(symbology, f"the scan is {len(data)} characters, longer than any ID")
    if not symbology and _AIM_ID.match(data):
        symbology, data = data[:3], data[3:]
    if symbology[1:2] == _PRODUCT_CODE:
        return _refused(symbology, f"{symbology} is a product barcode (EAN/UPC), not an ID")
    text = data.strip()
    lines = _LINE_BREAK.split(text)
    if len(lines) > 1:
        return _machine_readable(lines, symbology, today)
    if not text:
        return _refused(symbology, "the scan is empty")
    if not (text.isascii() and text.isdigit()):
        return _refused(
            symbology,
            "not an identity document: expected an IIN (12 digits), a PIN (14 digits) or "
            "the lines of a machine-readable zone separated by CR",
        )
    if len(text) == IIN_LENGTH:
        return _bare_number(NumberKind.IIN, text, symbology, today)
    if len(text) == PIN_LENGTH:
        return _bare_number(NumberKind.PIN, text, symbology, today)
    return _refused(
        symbology, f"{len(text)} digits: an IIN has {IIN_LENGTH} digits and a PIN {PIN_LENGTH}"
    )


def _refused(symbology: str, message: str) -> Document:
    return Document(Kind.UNKNOWN, symbology, (Finding(Problem.UNRECOGNISED, message),))


def _bare_number(kind: NumberKind, text: str, symbology: str, today: dt.date) -> Document:
    errors: list[Finding] = []
    person = _national_number(kind, text, "", errors)
    if person is not None:
        _not_in_future(person.birth_date, f"the {kind.value}'s", today, errors)
    return Document(
        Kind(kind.value),
        symbology,
        tuple(errors),
        country=_COUNTRY[kind],
        number=None if person is None else person.number,
        birth_date=None if person is None else person.birth_date,
        sex=None if person is None else person.sex,
    )


def _machine_readable(lines: list[str], symbology: str, today: dt.date) -> Document:
    fmt = Format.of(lines)
    try:
        mrz = parse_mrz(lines, today)
    except MrzError as exc:
        if fmt is None:
            return _refused(symbology, str(exc))
        return Document(Kind(fmt.value), symbology, (Finding(Problem.MALFORMED, str(exc)),))
    errors = list(mrz.errors)
    birth_date, sex, number = mrz.birth_date, mrz.sex, None
    where = placement(mrz.issuing_state, mrz.format)
    if where is not None:
        person = _number_in_mrz(mrz, where, errors)
        if person is not None:
            number = person.number
            sex = person.sex if sex is None else sex
            birth_date = _agree(mrz, person, where.number, errors) or birth_date
    if birth_date is not None:
        _not_in_future(birth_date, "the", today, errors)
    return Document(
        Kind(mrz.format.value),
        symbology,
        tuple(errors),
        country=mrz.issuing_state,
        number=number,
        birth_date=birth_date,
        sex=sex,
        expiry=mrz.expiry,
        document_number=mrz.document_number,
        nationality=mrz.nationality,
        surname=mrz.surname,
        given_names=mrz.given_names,
    )


def _number_in_mrz(mrz: Mrz, where: Placement, errors: list[Finding]) -> Iin | Pin | None:
    """The national number where documents of this country and format carry it."""
    label = f"{mrz.issuing_state} {mrz.format.value} {where.field.value.replace('_', ' ')}"
    text = where.extract(mrz)
    if not text.strip("<"):
        first, last = where.offset + 1, where.offset + where.length
        message = (
            f"{label}: characters {first}-{last}, where the {where.number.value} belongs, are empty"
        )
        errors.append(Finding(Problem.MALFORMED, message))
        return None
    return _national_number(where.number, text, f"{label}: ", errors)


def _national_number(
    kind: NumberKind, text: str, prefix: str, errors: list[Finding]
) -> Iin | Pin | None:
    """Parse an IIN or PIN, adding a finding (led by `prefix`) when it is not one."""
    try:
        return parse_iin(text) if kind is NumberKind.IIN else parse_pin(text)
    except (IinError, PinError) as exc:
        problem = Problem.CHECK_DIGIT if isinstance(exc, IinCheckDigitError) else Problem.MALFORMED
        errors.append(Finding(problem, f"{prefix}{exc}"))
        return None


def _agree(mrz: Mrz, person: Iin | Pin, kind: NumberKind, errors: list[Finding]) -> dt.date | None:
    """Cross-check the national number with the MRZ; the number's birth date when they agree.

    The MRZ has two-digit years, so the dates agree when their YYMMDD do, and the number
    (which knows its century) gives the full date.
    """
    agreed = None
    if mrz.birth_date is not None:
        if f"{mrz.birth_date:%y%m%d}" == f"{person.birth_date:%y%m%d}":
            agreed = person.birth_date
        else:
            errors.append(
                Finding(
                    Problem.MISMATCH,
                    f"the birth date in the MRZ ({mrz.birth_date:%y%m%d}) is not the "
                    f"{kind.value}'s ({person.birth_date.isoformat()})",
                )
            )
    if mrz.sex is not None and mrz.sex is not person.sex:
        errors.append(
            Finding(
                Problem.MISMATCH,
                f"the sex in the MRZ ({mrz.sex.value}) is not the {kind.value}'s "
                f"({person.sex.value})",
            )
        )
    return agreed


def _not_in_future(date: dt.date, whose: str, today: dt.date, errors: list[Finding]) -> None:
    if date > today:
        errors.append(
            Finding(Problem.MALFORMED, f"{whose} birth date {date.isoformat()} is in the future")
        )


def _iso(date: dt.date | None) -> str | None:
    return None if date is None else date.isoformat()

"""The election definition: contests, choices, precincts, terminals and poll hours.

It travels inside the signed election package (`election.json`); this module reads it
strictly and writes it canonically, so host tools and terminals share one definition.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from terminal.jsonfmt import Fields, FormatError, canonical_json, load_object

FORMAT = "tamga-election/1"
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
LANGUAGES = ("ky", "ru", "kk", "en")
# Two 32-byte keys sealed to a terminal: ephemeral key (32) + keys (64) + tag (16).
SEALED_SECRETS_SIZE = 32 + 64 + 16


class Mode(Enum):
    """Official elections and logic-and-accuracy tests never share a ballot box."""

    OFFICIAL = "official"
    TEST = "test"


class Role(Enum):
    IDENTIFY = "identify"
    VOTE = "vote"
    COMBINED = "combined"


def check_id(value: str, where: str) -> str:
    """Ids appear in file names, QR payloads and log origins, so they are plain ASCII."""
    if not ID_PATTERN.fullmatch(value):  # match() would let "$" accept a final newline
        raise FormatError(f"{where}: {value!r} is not a valid id (letters, digits, . _ -)")
    return value


def _names(fields: Fields, key: str) -> dict[str, str]:
    names = fields.strings(key)
    if "en" not in names and "ru" not in names:
        raise FormatError(f"{fields.where}.{key}: needs at least a Russian or English name")
    unknown = set(names) - set(LANGUAGES)
    if unknown:
        raise FormatError(f"{fields.where}.{key}: unknown languages {sorted(unknown)}")
    return names


def localized(names: dict[str, str], language: str) -> str:
    """The name in `language`, falling back to Russian, then English."""
    for lang in (language, "ru", "en"):
        if lang in names:
            return names[lang]
    return next(iter(names.values()))


@dataclass(frozen=True)
class Choice:
    id: str
    names: dict[str, str]
    against_all: bool = False

    def name(self, language: str) -> str:
        return localized(self.names, language)


@dataclass(frozen=True)
class Contest:
    id: str
    titles: dict[str, str]
    choices: tuple[Choice, ...]
    max_selections: int = 1

    def title(self, language: str) -> str:
        return localized(self.titles, language)

    def choice(self, choice_id: str) -> Choice | None:
        return next((c for c in self.choices if c.id == choice_id), None)


@dataclass(frozen=True)
class ChairVerifier:
    """What the terminal needs to check the chair's card and PIN (see trust/chair.py)."""

    salt: bytes
    digest: bytes
    n: int
    r: int
    p: int


@dataclass(frozen=True)
class Precinct:
    code: str
    names: dict[str, str]
    sealing_key: bytes  # raw X25519 public key the ballots are sealed to
    register_file: str
    register_sha256: str
    voters: int
    ballot_slots: int
    chair: ChairVerifier


@dataclass(frozen=True, order=True)
class RegisterPart:
    """The register positions start..stop-1 (as range()): the voters one terminal may mark.

    The terminals of a precinct never talk to each other, so one voter, one ballot across
    several terminals that mark voters (combined terminals, desks) holds only if each voter
    can be marked at exactly one of them: the package gives them disjoint parts that
    together cover the register (docs/identification.md)."""

    start: int
    stop: int

    def __contains__(self, position: object) -> bool:
        return isinstance(position, int) and self.start <= position < self.stop


@dataclass(frozen=True)
class TerminalEntry:
    id: str
    precinct: str
    role: Role
    public_key_file: str
    public_key_sha256: str
    encryption_key: bytes  # the terminal's raw X25519 public key, made at provisioning
    sealed_secrets: bytes  # the precinct's secrets sealed to encryption_key (trust/envelope.py)
    # The voters it may mark (a desk or combined terminal); None: the whole register, which
    # only a precinct's single marking terminal may have.
    register_part: RegisterPart | None = None


@dataclass(frozen=True)
class Identification:
    """The election's rules for identifying voters."""

    minimum_age: int = 18
    accept_expired_documents: bool = False
    countries: tuple[str, ...] = ("KGZ",)  # ICAO codes of documents that are eligible
    ballot_code_minutes: int = 30  # how long a coupon's ballot code stays valid
    # Whether a bare IIN/PIN (a barcode, typed or scanned, with no document's MRZ) may
    # identify a voter: it is what an insider at the desk could present for an absent voter,
    # so the commission decides, and the protocol counts the ballots issued that way.
    accept_bare_number: bool = False


@dataclass(frozen=True)
class Election:
    id: str
    names: dict[str, str]
    date: dt.date
    timezone: str
    polls_open: dt.time
    polls_close: dt.time
    mode: Mode
    country: str
    contests: tuple[Contest, ...]
    precincts: tuple[Precinct, ...]
    terminals: tuple[TerminalEntry, ...] = field(default_factory=tuple)
    identification: Identification = field(default_factory=Identification)

    def name(self, language: str) -> str:
        return localized(self.names, language)

    @property
    def utc_offset(self) -> dt.timedelta:
        """The election's local time as a fixed offset: no time-zone database is needed."""
        return _parse_offset(self.timezone)

    def precinct(self, code: str) -> Precinct | None:
        return next((p for p in self.precincts if p.code == code), None)

    def terminal(self, terminal_id: str) -> TerminalEntry | None:
        return next((t for t in self.terminals if t.id == terminal_id), None)

    def contest(self, contest_id: str) -> Contest | None:
        return next((c for c in self.contests if c.id == contest_id), None)

    def booths(self, precinct: str) -> tuple[TerminalEntry, ...]:
        """The voting booths of a precinct, in package order: booth 1, 2, ..."""
        return tuple(t for t in self.terminals if t.precinct == precinct and t.role is Role.VOTE)

    def marking_terminals(self, precinct: str) -> tuple[TerminalEntry, ...]:
        """The terminals of a precinct that mark voters on the register (desks, combined)."""
        return tuple(
            t for t in self.terminals if t.precinct == precinct and t.role is not Role.VOTE
        )

    def to_json(self) -> bytes:
        return canonical_json(_election_to_dict(self))

    @classmethod
    def from_json(cls, data: bytes, source: str = "election.json") -> Election:
        return _election_from_fields(load_object(data, source))


def _iso_date(fields: Fields, key: str) -> dt.date:
    try:
        return dt.date.fromisoformat(fields.str(key))
    except ValueError as exc:
        raise FormatError(f"{fields.where}: field {key!r} must be a date YYYY-MM-DD") from exc


TIME_PATTERN = re.compile(r"[0-9]{2}:[0-9]{2}")


def _clock_time(fields: Fields, key: str) -> dt.time:
    # Exactly HH:MM, as written: seconds would be lost when written back, and a UTC offset
    # (the election's timezone gives it) would make the poll hours impossible to compare.
    text = fields.str(key)
    try:
        if TIME_PATTERN.fullmatch(text):
            return dt.time.fromisoformat(text)
    except ValueError:
        pass
    raise FormatError(f"{fields.where}: field {key!r} must be a time HH:MM")


def _enum(fields: Fields, key: str, kind: type[Any]) -> Any:
    text = fields.str(key)
    try:
        return kind(text)
    except ValueError as exc:
        allowed = ", ".join(m.value for m in kind)
        raise FormatError(f"{fields.where}: field {key!r} must be one of {allowed}") from exc


def _unique(ids: list[str], where: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise FormatError(f"{where}: id {item!r} appears twice")
        seen.add(item)


OFFSET_PATTERN = re.compile(r"^[+-](\d\d):(\d\d)$")


def _parse_offset(text: str) -> dt.timedelta:
    match = OFFSET_PATTERN.match(text)
    if not match or int(match[1]) > 14 or int(match[2]) > 59:
        raise FormatError(f"timezone {text!r} must be a UTC offset like +06:00")
    offset = dt.timedelta(hours=int(match[1]), minutes=int(match[2]))
    return -offset if text.startswith("-") else offset


def _election_from_fields(f: Fields) -> Election:
    if f.str("format") != FORMAT:
        raise FormatError(f"{f.where}: format must be {FORMAT!r}")
    contests = []
    for c in f.objects("contests"):
        choices = tuple(
            Choice(
                id=check_id(ch.str("id"), ch.where),
                names=_names(ch, "names"),
                against_all=ch.bool("against_all"),
            )
            for ch in c.objects("choices")
        )
        if len(choices) < 1:
            raise FormatError(f"{c.where}: a contest needs at least one choice")
        _unique([ch.id for ch in choices], f"{c.where}.choices")
        max_sel = c.int("max_selections", 1)
        if max_sel > len(choices):
            raise FormatError(f"{c.where}: max_selections exceeds the number of choices")
        contests.append(
            Contest(check_id(c.str("id"), c.where), _names(c, "titles"), choices, max_sel)
        )
    _unique([c.id for c in contests], f"{f.where}.contests")
    precincts = []
    for p in f.objects("precincts"):
        chair = p.obj("chair")
        precincts.append(
            Precinct(
                code=check_id(p.str("code"), p.where),
                names=_names(p, "names"),
                sealing_key=p.hex("sealing_key", 32),
                register_file=p.str("register_file"),
                register_sha256=p.hex("register_sha256", 32).hex(),
                voters=p.int("voters"),
                ballot_slots=p.int("ballot_slots", 1),
                chair=ChairVerifier(
                    salt=chair.hex("salt", 16),
                    digest=chair.hex("digest", 32),
                    n=chair.int("n", 2),
                    r=chair.int("r", 1),
                    p=chair.int("p", 1),
                ),
            )
        )
        if precincts[-1].ballot_slots < precincts[-1].voters:
            raise FormatError(f"{p.where}: ballot_slots must be at least the number of voters")
    _unique([p.code for p in precincts], f"{f.where}.precincts")
    codes = {p.code for p in precincts}
    terminals = []
    for t in f.objects("terminals"):
        entry = TerminalEntry(
            id=check_id(t.str("id"), t.where),
            precinct=t.str("precinct"),
            role=_enum(t, "role", Role),
            public_key_file=t.str("public_key_file"),
            public_key_sha256=t.hex("public_key_sha256", 32).hex(),
            encryption_key=t.hex("encryption_key", 32),
            sealed_secrets=t.hex("sealed_secrets", SEALED_SECRETS_SIZE),
            register_part=_register_part(t),
        )
        if entry.precinct not in codes:
            raise FormatError(f"{t.where}: precinct {entry.precinct!r} is not in the election")
        if entry.role is Role.VOTE and entry.register_part is not None:
            raise FormatError(f"{t.where}: a voting booth marks no voters: no register_part")
        terminals.append(entry)
    _unique([t.id for t in terminals], f"{f.where}.terminals")
    for built in precincts:
        marking = [t for t in terminals if t.precinct == built.code]
        _check_parts(built, marking, f"{f.where}.terminals")
    opens, closes = _clock_time(f, "polls_open"), _clock_time(f, "polls_close")
    if not opens < closes:
        raise FormatError(f"{f.where}: polls must open before they close")
    _parse_offset(f.str("timezone"))
    ident = f.obj("identification")
    countries = ident.list("countries")
    if not countries or not all(isinstance(c, str) and len(c) == 3 for c in countries):
        raise FormatError(f"{ident.where}: countries must be three-letter ICAO codes")
    identification = Identification(
        minimum_age=ident.int("minimum_age", 16),
        accept_expired_documents=ident.bool("accept_expired_documents"),
        countries=tuple(countries),
        ballot_code_minutes=ident.int("ballot_code_minutes", 1),
        accept_bare_number=ident.bool("accept_bare_number"),
    )
    country = f.str("country")
    if country not in ("KG", "KZ"):
        raise FormatError(f"{f.where}: country must be KG or KZ")
    return Election(
        id=check_id(f.str("id"), f.where),
        names=_names(f, "names"),
        date=_iso_date(f, "date"),
        timezone=f.str("timezone"),
        polls_open=opens,
        polls_close=closes,
        mode=_enum(f, "mode", Mode),
        country=country,
        contests=tuple(contests),
        precincts=tuple(precincts),
        terminals=tuple(terminals),
        identification=identification,
    )


def _register_part(t: Fields) -> RegisterPart | None:
    if "register_part" not in t.value:
        return None
    part = t.obj("register_part")
    start, stop = part.int("start"), part.int("stop")
    if set(part.value) != {"start", "stop"} or stop <= start:
        raise FormatError(f"{part.where}: must be {{start, stop}} with start < stop")
    return RegisterPart(start, stop)


def _check_parts(precinct: Precinct, entries: list[TerminalEntry], where: str) -> None:
    """The marking terminals of a precinct hold disjoint parts that cover its register: a
    voter markable at two terminals could vote at both; one markable at none, nowhere."""
    marking = [t for t in entries if t.role is not Role.VOTE]
    if not marking:
        return
    whole = RegisterPart(0, precinct.voters)
    parts = sorted(((t.register_part or whole), t.id) for t in marking)
    at = 0
    for part, terminal in parts:
        if part.start < at:
            raise FormatError(
                f"{where}: terminal {terminal}'s register part overlaps another's in precinct "
                f"{precinct.code}: a voter could be marked at two terminals"
            )
        if part.start > at:
            break
        at = part.stop
    if at != precinct.voters or any(p.stop > precinct.voters for p, _ in parts):
        raise FormatError(
            f"{where}: the register parts of precinct {precinct.code}'s terminals must cover "
            f"its {precinct.voters} voters exactly, each voter at one terminal"
        )


def _part_to_dict(part: RegisterPart | None) -> dict[str, Any]:
    """The register_part field of a terminal entry; absent for the whole register."""
    return {} if part is None else {"register_part": {"start": part.start, "stop": part.stop}}


def _election_to_dict(e: Election) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "id": e.id,
        "names": e.names,
        "date": e.date.isoformat(),
        "timezone": e.timezone,
        "polls_open": e.polls_open.strftime("%H:%M"),
        "polls_close": e.polls_close.strftime("%H:%M"),
        "mode": e.mode.value,
        "country": e.country,
        "contests": [
            {
                "id": c.id,
                "titles": c.titles,
                "max_selections": c.max_selections,
                "choices": [
                    {"id": ch.id, "names": ch.names, "against_all": ch.against_all}
                    for ch in c.choices
                ],
            }
            for c in e.contests
        ],
        "precincts": [
            {
                "code": p.code,
                "names": p.names,
                "sealing_key": p.sealing_key.hex(),
                "register_file": p.register_file,
                "register_sha256": p.register_sha256,
                "voters": p.voters,
                "ballot_slots": p.ballot_slots,
                "chair": {
                    "salt": p.chair.salt.hex(),
                    "digest": p.chair.digest.hex(),
                    "n": p.chair.n,
                    "r": p.chair.r,
                    "p": p.chair.p,
                },
            }
            for p in e.precincts
        ],
        "terminals": [
            {
                "id": t.id,
                "precinct": t.precinct,
                "role": t.role.value,
                "public_key_file": t.public_key_file,
                "public_key_sha256": t.public_key_sha256,
                "encryption_key": t.encryption_key.hex(),
                "sealed_secrets": t.sealed_secrets.hex(),
                **_part_to_dict(t.register_part),
            }
            for t in e.terminals
        ],
        "identification": {
            "minimum_age": e.identification.minimum_age,
            "accept_expired_documents": e.identification.accept_expired_documents,
            "countries": list(e.identification.countries),
            "ballot_code_minutes": e.identification.ballot_code_minutes,
            "accept_bare_number": e.identification.accept_bare_number,
        },
    }

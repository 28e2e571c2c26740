"""The election definition: contests, choices, precincts, terminals and poll hours.

It travels inside the signed election package (`election.json`); this module reads it
strictly and writes it canonically, so host tools and terminals share one definition.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import Any

from terminal.jsonfmt import Fields, FormatError, canonical_json, load_object

FORMAT = "tamga-election/1"
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
LANGUAGES = ("ky", "ru", "kk", "en")
BALLOT_FORMATS = (1, 2)
# Sealed to a terminal: ephemeral key (32) + two 32-byte keys and the chair's PIN verifier
# (64 + 60) + tag (16).
SEALED_SECRETS_SIZE = 32 + 64 + 60 + 16
# The voter-list rules (KZ CEC 11/196, item 15.1): at most three thousand voters a precinct.
MAX_VOTERS_ON_LIST = 3000


class Mode(Enum):
    """Official elections and logic-and-accuracy tests never share a ballot box."""

    OFFICIAL = "official"
    TEST = "test"


class ElectionKind(Enum):
    """The kinds of election of the seeds: each has its own ballot and calendar."""

    PRESIDENTIAL = "presidential"
    PARLIAMENTARY = "parliamentary"  # party lists
    MASLIKHAT = "maslikhat"  # KZ local representative body
    LOCAL_COUNCIL = "local_council"  # KG kenesh
    AKIM = "akim"
    REFERENDUM = "referendum"


class TerritoryKind(Enum):
    """Levels between the CEC (the root, never listed) and the precincts."""

    REGION = "region"  # oblast, or a city of republican significance
    DISTRICT = "district"  # district / territorial commission; precincts belong to one


class Role(Enum):
    IDENTIFY = "identify"
    VOTE = "vote"
    COMBINED = "combined"


def check_id(value: str, where: str) -> str:
    """Ids appear in file names, QR payloads and log origins, so they are plain ASCII."""
    if not ID_PATTERN.fullmatch(value):  # match() would let "$" accept a final newline
        raise FormatError(f"{where}: {value!r} is not a valid id (letters, digits, . _ -)")
    return value


def _names(fields: Fields, key: str, optional: bool = False) -> dict[str, str]:
    names = fields.strings(key)
    if not (optional and not names) and "en" not in names and "ru" not in names:
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


class ContestKind(Enum):
    """How a voter marks a contest (the ballot and the count follow it)."""

    ONE_OF = "one_of"  # one candidate of n: president, akim
    UP_TO_K = "up_to_k"  # up to k candidates of n: multi-member councils
    PARTY_LIST = "party_list"  # one party list: Mazhilis, maslikhat, proportional councils
    REFERENDUM = "referendum"  # yes or no to one question


@dataclass(frozen=True)
class Logo:
    """A party's logo: a PNG file inside the package (terminal/ballot/logo.py), bound by its
    SHA-256 in the signed election."""

    file: str
    sha256: str

    @classmethod
    def named(cls, sha256: str) -> Logo:
        """The logo of the file with this SHA-256, under the name the package gives it."""
        return cls(f"logo-{sha256[:16]}.png", sha256)


@dataclass(frozen=True)
class Party:
    """A party standing with a list, with its logo where the definition gives one."""

    names: dict[str, str]
    number: int  # the party's number drawn by lot, printed on the ballot
    logo: Logo | None = None

    def name(self, language: str) -> str:
        return localized(self.names, language)


@dataclass(frozen=True)
class Recording:
    """A recorded clip the package carries (a voice actor saying a name the synthesiser
    says badly): it replaces the audio ballot's synthetic clip of `text` in `language`.
    `file` is a WAV file inside the package, bound by its SHA-256 in the signed election."""

    language: str
    text: str
    file: str
    sha256: str


@dataclass(frozen=True)
class Choice:
    id: str
    names: dict[str, str]
    against_all: bool = False  # exclusive: marked alone or not at all
    party: Party | None = None  # a party list's party (or a candidate's nominating party)
    ballot_number: int | None = None  # the choice's number on the ballot, where the law has one

    def name(self, language: str) -> str:
        return localized(self.names, language)


@dataclass(frozen=True)
class Contest:
    id: str
    titles: dict[str, str]
    choices: tuple[Choice, ...]
    max_selections: int = 1
    kind: ContestKind = ContestKind.ONE_OF
    blank_allowed: bool = False  # may the voter leave this contest without a mark?

    def title(self, language: str) -> str:
        return localized(self.titles, language)

    def choice(self, choice_id: str) -> Choice | None:
        return next((c for c in self.choices if c.id == choice_id), None)


@dataclass(frozen=True)
class Territory:
    """A region or a district (territorial) commission of the election's hierarchy."""

    id: str
    kind: TerritoryKind
    names: dict[str, str]
    parent: str | None  # a district's region; None for a region (its parent is the CEC)

    def name(self, language: str) -> str:
        return localized(self.names, language)


@dataclass(frozen=True)
class Precinct:
    """A precinct: what its terminals need, and its entry of the precinct registry (the
    voter-list rules' appendix 2: number, premises, address, restricted / new / abolished)."""

    code: str
    names: dict[str, str]
    sealing_key: bytes  # raw X25519 public key the ballots are sealed to
    register_file: str
    register_sha256: str
    voters: int  # entries of the register file the terminals check documents against
    ballot_slots: int
    number: str  # the precinct's number in the registry (packages from before it: the code)
    territory: str | None = None  # the district's id; None when the election lists none
    premises: dict[str, str] = field(default_factory=dict)  # the voting premises by language
    address: str = ""  # settlement, street, house
    restricted_access: bool = False  # e.g. a hospital or a military unit
    new: bool = False
    abolished: bool = False
    voters_on_list: int = 0  # as the registry states it, at most MAX_VOTERS_ON_LIST
    # SHA-256 of each key-share card, member 1 first (trust/shares.py): a card not listed is
    # refused alone, by its number, and never spoils the good cards already scanned.
    share_cards: tuple[str, ...] = ()
    # The ElGamal public key of ballot format 2, derived from the sealing key's private half
    # (terminal/tally/encrypted_ballot.py); None in a format-1 election.
    elgamal_key: bytes | None = None

    def name(self, language: str) -> str:
        return localized(self.names, language)


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
    kind: ElectionKind | None = None  # None only in packages from before election kinds
    territories: tuple[Territory, ...] = field(default_factory=tuple)  # empty: no hierarchy
    # The ballot format (terminal/tally/sealing.py): 1 sealed ballots, 2 verifiable ones.
    ballot_format: int = 1
    recordings: tuple[Recording, ...] = ()  # recorded audio replacing synthetic lines

    def name(self, language: str) -> str:
        return localized(self.names, language)

    @property
    def utc_offset(self) -> dt.timedelta:
        """The election's local time as a fixed offset: no time-zone database is needed."""
        return _parse_offset(self.timezone)

    # A national election has some 10,000 precincts and more terminals, and every bundle
    # collected looks its own up: indexes made once per loaded package, not list scans.
    @cached_property
    def _precinct_index(self) -> dict[str, Precinct]:
        return {p.code: p for p in self.precincts}

    @cached_property
    def _terminal_index(self) -> dict[str, TerminalEntry]:
        return {t.id: t for t in self.terminals}

    @cached_property
    def _terminal_groups(self) -> dict[str, tuple[TerminalEntry, ...]]:
        return terminals_by_precinct(self.terminals)

    @cached_property
    def _territory_index(self) -> dict[str, Territory]:
        return {t.id: t for t in self.territories}

    def precinct(self, code: str) -> Precinct | None:
        return self._precinct_index.get(code)

    def terminal(self, terminal_id: str) -> TerminalEntry | None:
        return self._terminal_index.get(terminal_id)

    def contest(self, contest_id: str) -> Contest | None:
        return next((c for c in self.contests if c.id == contest_id), None)

    def logos(self) -> tuple[Logo, ...]:
        """Every party logo the ballot shows, each once (a party may stand in several
        contests)."""
        return tuple(
            dict.fromkeys(
                ch.party.logo
                for c in self.contests
                for ch in c.choices
                if ch.party is not None and ch.party.logo is not None
            )
        )

    def terminals_of(self, precinct: str) -> tuple[TerminalEntry, ...]:
        """Every terminal the package registers for a precinct, in package order."""
        return self._terminal_groups.get(precinct, ())

    def booths(self, precinct: str) -> tuple[TerminalEntry, ...]:
        """The voting booths of a precinct, in package order: booth 1, 2, ..."""
        return tuple(t for t in self.terminals_of(precinct) if t.role is Role.VOTE)

    def marking_terminals(self, precinct: str) -> tuple[TerminalEntry, ...]:
        """The terminals of a precinct that mark voters on the register (desks, combined)."""
        return tuple(t for t in self.terminals_of(precinct) if t.role is not Role.VOTE)

    def territory(self, territory_id: str) -> Territory | None:
        return self._territory_index.get(territory_id)

    def region_of(self, precinct: Precinct) -> Territory | None:
        """The region a precinct's district belongs to (None without a hierarchy)."""
        district = self.territory(precinct.territory) if precinct.territory else None
        return self.territory(district.parent) if district and district.parent else None

    def to_json(self) -> bytes:
        return canonical_json(_election_to_dict(self))

    @classmethod
    def from_json(cls, data: bytes, source: str = "election.json") -> Election:
        return _election_from_fields(load_object(data, source))


def terminals_by_precinct(
    terminals: Sequence[TerminalEntry],
) -> dict[str, tuple[TerminalEntry, ...]]:
    """Each precinct's terminals, in package order."""
    grouped: dict[str, list[TerminalEntry]] = {}
    for t in terminals:
        grouped.setdefault(t.precinct, []).append(t)
    return {code: tuple(ts) for code, ts in grouped.items()}


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


def _optional(f: Fields, key: str) -> bool:
    """Fields added after tamga-election/1 was first written: absent means the old default,
    null is their written "none"."""
    return key in f.value and f.value[key] is not None


def _party_from_fields(p: Fields) -> Party:
    logo = None
    if _optional(p, "logo"):
        value = p.obj("logo")
        file = value.str("file")
        if not (ID_PATTERN.fullmatch(file) and file.endswith(".png")):
            raise FormatError(f"{value.where}: file {file!r} must be a plain .png file name")
        logo = Logo(file, value.hex("sha256", 32).hex())
    return Party(names=_names(p, "names"), number=p.int("number", 1), logo=logo)


def _choice_from_fields(ch: Fields) -> Choice:
    return Choice(
        id=check_id(ch.str("id"), ch.where),
        names=_names(ch, "names"),
        against_all=ch.bool("against_all"),
        party=_party_from_fields(ch.obj("party")) if _optional(ch, "party") else None,
        ballot_number=ch.int("ballot_number", 1) if _optional(ch, "ballot_number") else None,
    )


def _contest_from_fields(c: Fields) -> Contest:
    choices = tuple(_choice_from_fields(ch) for ch in c.objects("choices"))
    if len(choices) < 1:
        raise FormatError(f"{c.where}: a contest needs at least one choice")
    _unique([ch.id for ch in choices], f"{c.where}.choices")
    max_sel = c.int("max_selections", 1)
    # Packages written before contest kinds: one mark is one of n, more is up to k.
    if "kind" in c.value:
        kind = _enum(c, "kind", ContestKind)
    else:
        kind = ContestKind.ONE_OF if max_sel == 1 else ContestKind.UP_TO_K
    contest = Contest(
        id=check_id(c.str("id"), c.where),
        titles=_names(c, "titles"),
        choices=choices,
        max_selections=max_sel,
        kind=kind,
        blank_allowed=c.bool("blank_allowed") if "blank_allowed" in c.value else False,
    )
    check_contest(contest, c.where)
    return contest


def check_contest(contest: Contest, where: str) -> None:
    """The rules a contest of each kind keeps; host tools check a definition with them too."""
    kind, choices = contest.kind, contest.choices
    against = [ch for ch in choices if ch.against_all]
    candidates = len(choices) - len(against)
    if len(against) > 1:
        raise FormatError(f"{where}: a contest has at most one against-all choice")
    if candidates < 1:
        raise FormatError(f"{where}: a contest needs a choice that is not against all")
    if contest.max_selections > candidates:
        raise FormatError(f"{where}: max_selections exceeds the number of choices")
    if kind is not ContestKind.UP_TO_K and contest.max_selections != 1:
        raise FormatError(f"{where}: a {kind.value} contest has max_selections 1")
    if kind is ContestKind.REFERENDUM and (len(choices) != 2 or against):
        raise FormatError(f"{where}: a referendum has two answers (yes, no) and no against-all")
    if kind is ContestKind.PARTY_LIST:
        missing = [ch.id for ch in choices if not ch.against_all and ch.party is None]
        if missing:
            raise FormatError(f"{where}: choices {missing} of a party list name no party")
        _unique([str(ch.party.number) for ch in choices if ch.party], f"{where}: party number")
    _unique(
        [str(ch.ballot_number) for ch in choices if ch.ballot_number is not None],
        f"{where}: ballot_number",
    )


def _election_from_fields(f: Fields) -> Election:
    if f.str("format") != FORMAT:
        raise FormatError(f"{f.where}: format must be {FORMAT!r}")
    contests = [_contest_from_fields(c) for c in f.objects("contests")]
    _unique([c.id for c in contests], f"{f.where}.contests")
    logos: dict[str, str] = {}  # a party standing in several contests: one logo file
    for i, contest in enumerate(contests):
        for j, choice in enumerate(contest.choices):
            logo = choice.party.logo if choice.party else None
            if logo is not None and logos.setdefault(logo.file, logo.sha256) != logo.sha256:
                raise FormatError(
                    f"{f.where}.contests[{i}].choices[{j}].party.logo: file {logo.file!r} "
                    "has two hashes in this election"
                )
    territories = _territories(f)
    districts = {t.id for t in territories if t.kind is TerritoryKind.DISTRICT}
    precincts = []
    for p in f.objects("precincts"):
        code = check_id(p.str("code"), p.where)
        voters = p.int("voters")
        precincts.append(
            Precinct(
                code=code,
                names=_names(p, "names"),
                sealing_key=p.hex("sealing_key", 32),
                register_file=p.str("register_file"),
                register_sha256=p.hex("register_sha256", 32).hex(),
                voters=voters,
                ballot_slots=p.int("ballot_slots", 1),
                **_registry_entry(p, code, voters, districts, bool(territories)),
                share_cards=_share_cards(p),
                elgamal_key=p.hex("elgamal_key", 32) if _optional(p, "elgamal_key") else None,
            )
        )
        if precincts[-1].ballot_slots < precincts[-1].voters:
            raise FormatError(f"{p.where}: ballot_slots must be at least the number of voters")
    _unique([p.code for p in precincts], f"{f.where}.precincts")
    _unique([p.number for p in precincts], f"{f.where}.precincts (number)")
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
    grouped = terminals_by_precinct(terminals)
    for built in precincts:
        _check_parts(built, list(grouped.get(built.code, ())), f"{f.where}.terminals")
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
    kind = _enum(f, "kind", ElectionKind) if "kind" in f.value else None
    # Packages from before format 2 have no ballot_format: they are all format 1.
    ballot_format = f.int("ballot_format", 1) if "ballot_format" in f.value else 1
    if ballot_format not in BALLOT_FORMATS:
        raise FormatError(f"{f.where}: ballot_format must be one of {BALLOT_FORMATS}")
    if ballot_format == 2 and any(p.elgamal_key is None for p in precincts):
        raise FormatError(f"{f.where}: ballot format 2 needs every precinct's elgamal_key")
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
        kind=kind,
        territories=territories,
        ballot_format=ballot_format,
        recordings=_recordings(f),
    )


def _recordings(f: Fields) -> tuple[Recording, ...]:
    if "recordings" not in f.value:
        return ()
    found = []
    for r in f.objects("recordings"):
        language = r.str("language")
        if language not in LANGUAGES:
            raise FormatError(f"{r.where}: language must be one of {LANGUAGES}")
        text = r.str("text")
        if not text.strip():
            raise FormatError(f"{r.where}: text is empty")
        file = r.str("file")
        if not (ID_PATTERN.fullmatch(file) and file.endswith(".wav")):
            raise FormatError(f"{r.where}: file {file!r} must be a plain .wav file name")
        found.append(Recording(language, text, file, r.hex("sha256", 32).hex()))
    _unique([f"{r.language}: {r.text}" for r in found], f"{f.where}.recordings")
    hashes: dict[str, str] = {}
    for recording in found:  # one file may say several lines (a name alike in ky and kk)
        if hashes.setdefault(recording.file, recording.sha256) != recording.sha256:
            raise FormatError(f"{f.where}.recordings: file {recording.file!r} has two hashes")
    return tuple(found)


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


# Packages written before the precinct registry have none of these keys; a package that has
# "number" has them all, so a key dropped from a new package is an error, not a default.
REGISTRY_KEYS = ("premises", "address", "restricted_access", "new", "abolished", "voters_on_list")


def _registry_entry(
    p: Fields, code: str, voters: int, districts: set[str], hierarchy: bool
) -> dict[str, Any]:
    """The precinct's registry fields as Precinct keyword arguments."""
    if "number" not in p.value:
        present = [key for key in (*REGISTRY_KEYS, "territory") if key in p.value]
        if present:
            raise FormatError(f"{p.where}: missing field 'number' (given with {present[0]!r})")
        if hierarchy:
            raise FormatError(f"{p.where}: missing field 'territory' (the election has districts)")
        return {"number": code, "voters_on_list": voters}
    territory: str | None = None
    if hierarchy:
        territory = p.str("territory")
        if territory not in districts:
            raise FormatError(
                f"{p.where}: territory {territory!r} is not a district of the election"
            )
    elif "territory" in p.value:
        raise FormatError(
            f"{p.where}: field 'territory' given but the election lists no territories"
        )
    on_list = p.int("voters_on_list")
    if on_list > MAX_VOTERS_ON_LIST:
        raise FormatError(
            f"{p.where}: field 'voters_on_list' is {on_list}; a precinct has at most "
            f"{MAX_VOTERS_ON_LIST} voters"
        )
    return {
        "number": check_id(p.str("number"), p.where),
        "territory": territory,
        "premises": _names(p, "premises", optional=True),
        "address": p.str("address"),
        "restricted_access": p.bool("restricted_access"),
        "new": p.bool("new"),
        "abolished": p.bool("abolished"),
        "voters_on_list": on_list,
    }


def _territories(f: Fields) -> tuple[Territory, ...]:
    """Regions (under the CEC) and districts (each under a region listed here)."""
    if "territories" not in f.value:
        return ()
    territories = []
    for item in f.objects("territories"):
        kind = _enum(item, "kind", TerritoryKind)
        parent: str | None = None
        if kind is TerritoryKind.DISTRICT:
            parent = item.str("parent")
        elif "parent" in item.value:
            raise FormatError(f"{item.where}: a region has no field 'parent' (the CEC is above)")
        territories.append(
            Territory(check_id(item.str("id"), item.where), kind, _names(item, "names"), parent)
        )
    _unique([t.id for t in territories], f"{f.where}.territories")
    regions = {t.id for t in territories if t.kind is TerritoryKind.REGION}
    for index, territory in enumerate(territories):
        if territory.parent is not None and territory.parent not in regions:
            raise FormatError(
                f"{f.where}.territories[{index}]: parent {territory.parent!r} is not a region"
            )
    return tuple(territories)


def _election_to_dict(e: Election) -> dict[str, Any]:
    value = _base_to_dict(e)
    if e.kind is not None:
        value["kind"] = e.kind.value
    if e.territories:
        value["territories"] = [_territory_to_dict(t) for t in e.territories]
    if e.ballot_format != 1:
        value["ballot_format"] = e.ballot_format
    if e.recordings:
        value["recordings"] = recordings_to_json(e.recordings)
    return value


def recordings_to_json(recordings: tuple[Recording, ...]) -> list[dict[str, str]]:
    """Recordings as election.json lists them (read back by `recordings_from_json`)."""
    return [
        {"language": r.language, "text": r.text, "file": r.file, "sha256": r.sha256}
        for r in recordings
    ]


def recordings_from_json(data: bytes, source: str) -> tuple[Recording, ...]:
    """A JSON object {"recordings": [...]}, checked as election.json's recordings are."""
    return _recordings(load_object(data, source))


def _territory_to_dict(t: Territory) -> dict[str, Any]:
    value: dict[str, Any] = {"id": t.id, "kind": t.kind.value, "names": t.names}
    if t.parent is not None:
        value["parent"] = t.parent
    return value


def _share_cards(p: Fields) -> tuple[str, ...]:
    if "share_cards" not in p.value:  # packages from before the cards were listed
        return ()
    cards = p.list("share_cards")
    if not all(isinstance(c, str) and re.fullmatch("[0-9a-f]{64}", c) for c in cards):
        raise FormatError(f"{p.where}.share_cards: each must be a SHA-256 in lower-case hex")
    _unique(cards, f"{p.where}.share_cards")
    return tuple(cards)


def _precinct_to_dict(p: Precinct) -> dict[str, Any]:
    value: dict[str, Any] = {
        "code": p.code,
        "names": p.names,
        "sealing_key": p.sealing_key.hex(),
        "register_file": p.register_file,
        "register_sha256": p.register_sha256,
        "voters": p.voters,
        "ballot_slots": p.ballot_slots,
        "number": p.number,
        "premises": p.premises,
        "address": p.address,
        "restricted_access": p.restricted_access,
        "new": p.new,
        "abolished": p.abolished,
        "voters_on_list": p.voters_on_list,
    }
    if p.territory is not None:
        value["territory"] = p.territory
    if p.share_cards:
        value["share_cards"] = list(p.share_cards)
    if p.elgamal_key is not None:
        value["elgamal_key"] = p.elgamal_key.hex()
    return value


def _base_to_dict(e: Election) -> dict[str, Any]:
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
                "kind": c.kind.value,
                "max_selections": c.max_selections,
                "blank_allowed": c.blank_allowed,
                "choices": [_choice_to_dict(ch) for ch in c.choices],
            }
            for c in e.contests
        ],
        "precincts": [_precinct_to_dict(p) for p in e.precincts],
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


def _choice_to_dict(ch: Choice) -> dict[str, Any]:
    party = ch.party
    return {
        "id": ch.id,
        "names": ch.names,
        "against_all": ch.against_all,
        "party": None
        if party is None
        else {
            "names": party.names,
            "number": party.number,
            "logo": None
            if party.logo is None
            else {"file": party.logo.file, "sha256": party.logo.sha256},
        },
        "ballot_number": ch.ballot_number,
    }

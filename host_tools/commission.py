"""The commission's office: create an election, its precinct keys and cards, and sign the package.

The commission builds the election definition from its own inputs (contests, precincts
with their voter registers, registered terminals), makes one X25519 sealing key per
precinct and splits it at once into k-of-n SLIP-39 share cards; the private key is never
written anywhere, only the cards are. Each precinct chair gets a chair card and, through
another channel, a PIN letter. The outputs of one election go into one new directory:

    commission.key.pem            the commission's Ed25519 signing key (0600, kept from
                                  election to election: terminals pin its public half)
    package/                      the signed election package (public)
    cards/<P>-share-<i>-of-<n>    share cards as PNG and .txt (0600)
    cards/<P>-chair               the chair card as PNG and .txt (0600)
    pin-letters/<P>-chair-pin.txt the chair's PIN letter (0600), apart from the card
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import segno
import shamir_mnemonic
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from PIL import Image, ImageDraw, ImageFont

from host_tools.election.media import NO_MEDIA, Media
from terminal.ballot import package as pkg
from terminal.ballot.election import (
    Contest,
    Election,
    ElectionKind,
    Identification,
    Mode,
    Precinct,
    RegisterPart,
    Role,
    TerminalEntry,
    Territory,
    localized,
)
from terminal.idscan.register import Register
from terminal.invariants import InvariantError
from terminal.jsonfmt import FormatError
from terminal.tally.encrypted_ballot import precinct_public
from terminal.tally.sealing import MAX_RECORD_SIZE, verifiable_size
from terminal.trust import chair
from terminal.trust.files import write_private_file
from terminal.trust.shares import ShareCard, public_key_of, split_key
from terminal.trust.signing import SigningKey, VerifyKey

COMMISSION_KEY_FILE = "commission.key.pem"
PACKAGE_DIR = "package"
CARDS_DIR = "cards"
# PIN letters go to the chair by another channel than the card, so they live apart.
PIN_LETTERS_DIR = "pin-letters"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
# SLIP-39 allows at most 16 members in a group.
MAX_SHARES = 16
MIN_SPARE_SLOTS = 8


class CommissionError(ValueError):
    """The commission's inputs cannot make a valid election; the message says which."""


@dataclass(frozen=True)
class ElectionSpec:
    """What the commission decides about the election itself."""

    id: str
    names: dict[str, str]
    date: dt.date
    timezone: str  # the UTC offset of local time, like +06:00
    polls_open: dt.time
    polls_close: dt.time
    mode: Mode
    country: str
    contests: tuple[Contest, ...]
    identification: Identification = field(default_factory=Identification)
    kind: ElectionKind | None = None
    territories: tuple[Territory, ...] = ()
    ballot_format: int = 1  # terminal/tally/sealing.py: 2 is verifiable


@dataclass(frozen=True)
class PrecinctSpec:
    """One precinct, its voter register and its entry of the precinct registry."""

    code: str
    names: dict[str, str]
    register: Register
    number: str | None = None  # the registry's number; the code when not given
    territory: str | None = None  # a district of ElectionSpec.territories
    premises: dict[str, str] = field(default_factory=dict)
    address: str = ""
    restricted_access: bool = False
    new: bool = False
    abolished: bool = False
    voters_on_list: int | None = None  # the registry's count; the register's size if not given


@dataclass(frozen=True)
class TerminalRegistration:
    """A terminal to register: its public key comes from the terminal's own provisioning."""

    id: str
    precinct: str
    role: Role
    key: VerifyKey
    encryption_key: bytes  # raw X25519 public key (terminal.enc.pub.pem)


@dataclass(frozen=True)
class PrecinctSecrets:
    """What only the commission members and the chair may see; kept out of repr and logs."""

    share_cards: tuple[ShareCard, ...] = field(repr=False)
    chair_card: chair.ChairCard = field(repr=False)
    chair_pin: str = field(repr=False)
    # Kept to seal them to terminals registered later; never written by the host tools.
    keys: pkg.PrecinctKeys = field(repr=False)


@dataclass(frozen=True)
class CreatedElection:
    """A new election and everything needed to write its package, cards and PIN letters."""

    election: Election
    registers: dict[str, Register]
    register_files: dict[str, bytes]  # encrypted, as they go into the package
    terminal_keys: dict[str, VerifyKey]
    secrets: dict[str, PrecinctSecrets]
    threshold: int
    share_count: int
    media_files: Mapping[str, bytes] = field(default_factory=dict)  # by package file name


def ballot_slots(voters: int) -> int:
    """Slots for a precinct: one per voter plus spares, because a slot torn by a power cut is
    never reused."""
    return voters + max(MIN_SPARE_SLOTS, voters // 20)


def _validated(election: Election) -> Election:
    """The election as a terminal will read it: the strict reader checks ids, uniqueness,
    poll hours and references, so a bad input fails here rather than on polling day."""
    try:
        parsed = Election.from_json(election.to_json(), "new election")
    except FormatError as exc:
        raise CommissionError(str(exc)) from exc
    if parsed != election:
        raise CommissionError("the election does not survive writing and reading back")
    return parsed


def new_precinct_key(
    election: str, code: str, threshold: int, count: int
) -> tuple[bytes, bytes, tuple[ShareCard, ...]]:
    """A fresh sealing key's public half, the public half of the ElGamal key derived from it
    (ballot format 2), and its share cards; the private half is dropped."""
    private = X25519PrivateKey.generate().private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption()
    )
    cards = tuple(split_key(private, election, code, threshold, count))
    # The key exists nowhere else, so prove the cards open it before it is forgotten: each
    # card takes part in at least one of these combinations.
    for start in range(0, count, threshold):
        chosen = [cards[(start + j) % count].mnemonic for j in range(threshold)]
        if shamir_mnemonic.combine_mnemonics(chosen) != private:
            raise CommissionError(f"precinct {code}: the share cards do not rebuild the key")
    return public_key_of(private), precinct_public(private), cards


def _terminal_entries(
    registrations: Sequence[TerminalRegistration], secrets: dict[str, PrecinctSecrets]
) -> tuple[tuple[TerminalEntry, ...], dict[str, VerifyKey]]:
    entries = []
    for t in registrations:
        if t.precinct not in secrets:
            raise CommissionError(
                f"terminal {t.id}: precinct {t.precinct!r} is not in the election"
            )
        entries.append(
            TerminalEntry(
                id=t.id,
                precinct=t.precinct,
                role=t.role,
                public_key_file=pkg.terminal_key_path(t.id),
                public_key_sha256=pkg.sha256_hex(t.key.pem()),
                encryption_key=t.encryption_key,
                sealed_secrets=secrets[t.precinct].keys.seal_to(t.encryption_key),
            )
        )
    return tuple(entries), {t.id: t.key for t in registrations}


def assign_register_parts(
    entries: Sequence[TerminalEntry], precincts: Sequence[Precinct]
) -> tuple[TerminalEntry, ...]:
    """Give the terminals that mark voters (desks, combined terminals) of each precinct
    disjoint, contiguous parts of its register in registration order, as even as they can
    be (like the books of a paper voter list); a single one keeps the whole register."""
    voters = {p.code: p.voters for p in precincts}
    parts: dict[str, RegisterPart | None] = {}
    for code, count in voters.items():
        marking = [t.id for t in entries if t.precinct == code and t.role is not Role.VOTE]
        if len(marking) > count:
            raise CommissionError(
                f"precinct {code}: {len(marking)} terminals mark voters, the register has "
                f"only {count}: each needs a part"
            )
        if len(marking) == 1:
            parts[marking[0]] = None
            continue
        for index, terminal in enumerate(marking):
            parts[terminal] = RegisterPart(
                index * count // len(marking), (index + 1) * count // len(marking)
            )
    return tuple(
        dataclasses.replace(t, register_part=parts[t.id]) if t.id in parts else t for t in entries
    )


def build_election(
    spec: ElectionSpec,
    precincts: Sequence[PrecinctSpec],
    threshold: int,
    share_count: int,
    terminals: Sequence[TerminalRegistration] = (),
    media: Media = NO_MEDIA,
) -> CreatedElection:
    """Make the election definition, every precinct's sealing key, share cards and chair
    credential. Any `threshold` of the `share_count` cards of a precinct open its ballots.
    `media` are the recorded audio-ballot lines and party logos, with their files."""
    if not 2 <= threshold <= share_count <= MAX_SHARES:
        # One card alone must never open a ballot box.
        raise CommissionError(
            f"need 2 <= threshold <= share count <= {MAX_SHARES}, got {threshold} of {share_count}"
        )
    size = verifiable_size(spec.contests)
    if spec.ballot_format == 2 and size > MAX_RECORD_SIZE:
        raise CommissionError(
            f"a verifiable ballot of these contests is {size} bytes, more than a 4 KiB slot "
            f"holds ({MAX_RECORD_SIZE}): fewer choices, or ballot format 1"
        )
    built: list[Precinct] = []
    secrets: dict[str, PrecinctSecrets] = {}
    register_files: dict[str, bytes] = {}
    for p in precincts:
        register = p.register
        if register.precinct != p.code:
            raise CommissionError(f"precinct {p.code}: the register is of {register.precinct}")
        for position, voter in enumerate(register.voters):
            if voter.precinct != p.code:
                raise CommissionError(
                    f"precinct {p.code}: register entry {position} is of precinct {voter.precinct}"
                )
        sealing_key, elgamal_key, cards = new_precinct_key(spec.id, p.code, threshold, share_count)
        chair_card, pin, verifier = chair.issue(spec.id, p.code)
        voters = len(register.voters)
        keys = pkg.PrecinctKeys.generate(verifier)
        register_files[p.code] = pkg.encrypt_register(register, keys.register_key)
        built.append(
            Precinct(
                code=p.code,
                names=p.names,
                sealing_key=sealing_key,
                register_file=pkg.register_path(p.code),
                register_sha256=pkg.sha256_hex(register_files[p.code]),
                voters=voters,
                ballot_slots=ballot_slots(voters),
                share_cards=tuple(card.digest() for card in cards),
                number=p.number or p.code,
                territory=p.territory,
                premises=p.premises,
                address=p.address,
                restricted_access=p.restricted_access,
                new=p.new,
                abolished=p.abolished,
                voters_on_list=voters if p.voters_on_list is None else p.voters_on_list,
                elgamal_key=elgamal_key if spec.ballot_format == 2 else None,
            )
        )
        secrets[p.code] = PrecinctSecrets(cards, chair_card, pin, keys)
    entries, terminal_keys = _terminal_entries(terminals, secrets)
    election = Election(
        id=spec.id,
        names=spec.names,
        date=spec.date,
        timezone=spec.timezone,
        polls_open=spec.polls_open,
        polls_close=spec.polls_close,
        mode=spec.mode,
        country=spec.country,
        contests=media.with_logos(spec.contests),
        precincts=tuple(built),
        terminals=assign_register_parts(entries, built),
        identification=spec.identification,
        kind=spec.kind,
        territories=spec.territories,
        ballot_format=spec.ballot_format,
        recordings=media.recordings,
    )
    return CreatedElection(
        election=_validated(election),
        registers={p.code: p.register for p in precincts},
        register_files=register_files,
        terminal_keys=terminal_keys,
        secrets=secrets,
        threshold=threshold,
        share_count=share_count,
        media_files=media.files,
    )


def register_terminals(
    created: CreatedElection, terminals: Sequence[TerminalRegistration]
) -> CreatedElection:
    """Add terminals provisioned after the election was built; sign (write) the package after."""
    entries, keys = _terminal_entries(terminals, created.secrets)
    election = created.election
    election = dataclasses.replace(
        election, terminals=assign_register_parts(election.terminals + entries, election.precincts)
    )
    return dataclasses.replace(
        created,
        election=_validated(election),
        terminal_keys={**created.terminal_keys, **keys},
    )


def create_commission_key(path: Path) -> SigningKey:
    """Make the commission's signing key and save it (0600). Never overwrites: terminals pin
    the public half at provisioning, so losing the old key would orphan them."""
    if path.exists():
        raise CommissionError(f"{path}: a commission key is already there; load it instead")
    key = SigningKey.generate()
    key.save(path)
    return key


# --- printed cards -----------------------------------------------------------------------------

# A6 landscape at 300 dpi: fits a card sleeve and any office printer.
CARD_SIZE = (1748, 1240)
MARGIN = 60
QR_BOX = 640
WORD_COLUMNS = 3


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(str(FONT_DIR / name), size)
    except OSError as exc:
        raise CommissionError(f"{FONT_DIR / name}: missing (install fonts-dejavu-core)") from exc


def _qr_image(payload: str, box: int) -> Image.Image:
    """The payload as a QR code (level M) of at most `box` pixels, with its quiet zone."""
    qr = segno.make(payload, error="m", micro=False)
    modules = qr.symbol_size(scale=1, border=4)[0]
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=max(1, box // modules), border=4)
    buffer.seek(0)
    return Image.open(buffer).convert("L")


def _bilingual(names: dict[str, str]) -> str:
    ru, en = localized(names, "ru"), localized(names, "en")
    return ru if ru == en else f"{ru} / {en}"


def _card_image(
    election: Election, heading: str, lines: Sequence[str], payload: str
) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    """A blank card with the heading, the election and precinct lines and the QR code."""
    image = Image.new("L", CARD_SIZE, 255)
    draw = ImageDraw.Draw(image)
    y = MARGIN
    if election.mode is Mode.TEST:
        # Every test printout says TEST in large letters.
        draw.text((CARD_SIZE[0] - MARGIN, y), "TEST", font=_font(96, True), anchor="ra")
    draw.text((MARGIN, y), heading, font=_font(48, True))
    y += 80
    for line in lines:
        draw.text((MARGIN, y), line, font=_font(32))
        y += 46
    qr = _qr_image(payload, QR_BOX)
    image.paste(qr, (CARD_SIZE[0] - MARGIN - qr.width, CARD_SIZE[1] - MARGIN - 80 - qr.height))
    return image, draw


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def share_card_png(
    election: Election, card: ShareCard, member: int, threshold: int, count: int
) -> bytes:
    """The printed share card: member `member` of `count`, its 33 words in numbered columns
    (the backup when the QR code cannot be read) and the QR code of its payload."""
    precinct = election.precinct(card.precinct)
    if precinct is None:
        raise InvariantError("invariant broken: precinct is not None")
    image, draw = _card_image(
        election,
        "Карточка доли ключа / Key-share card",
        [
            f"{_bilingual(election.names)} ({election.id}, {election.date.isoformat()})",
            f"Участок / Precinct {precinct.code}: {_bilingual(precinct.names)}",
            f"Член комиссии / Member {member} of {count}; любые {threshold} / any {threshold}"
            " open the ballot box",
        ],
        card.payload(),
    )
    words = card.mnemonic.split()
    rows = -(-len(words) // WORD_COLUMNS)
    font = _font(34)
    column_width = (CARD_SIZE[0] - 2 * MARGIN - QR_BOX - 40) // WORD_COLUMNS
    for index, word in enumerate(words):
        column, row = divmod(index, rows)
        x = MARGIN + column * column_width
        draw.text((x, 330 + row * 54), f"{index + 1:>2}. {word}", font=font)
    draw.text(
        (MARGIN, CARD_SIZE[1] - MARGIN - 40),
        "Секретно: не копировать и не фотографировать. Secret: never copy or photograph.",
        font=_font(28),
    )
    return _png(image)


def chair_card_png(election: Election, card: chair.ChairCard) -> bytes:
    """The printed chair card: the QR code the terminal scans; the PIN is never on it."""
    precinct = election.precinct(card.precinct)
    if precinct is None:
        raise InvariantError("invariant broken: precinct is not None")
    image, draw = _card_image(
        election,
        "Карточка председателя / Chair card",
        [
            f"{_bilingual(election.names)} ({election.id}, {election.date.isoformat()})",
            f"Участок / Precinct {precinct.code}: {_bilingual(precinct.names)}",
            "ПИН-код передаётся отдельно. The PIN is sent separately;",
            "никогда не храните его с карточкой / never keep it with this card.",
        ],
        card.payload(),
    )
    draw.text(
        (MARGIN, CARD_SIZE[1] - MARGIN - 40),
        "Открывает и закрывает голосование. Opens and closes the polls.",
        font=_font(28),
    )
    return _png(image)


def pin_letter(election: Election, code: str, pin: str) -> bytes:
    """The chair's PIN letter, delivered apart from the chair card."""
    precinct = election.precinct(code)
    if precinct is None:
        raise InvariantError("invariant broken: precinct is not None")
    test = "TEST / ТЕСТ\n\n" if election.mode is Mode.TEST else ""
    return (
        f"{test}Tamga: ПИН-код председателя / chair's PIN\n"
        f"Выборы / Election: {_bilingual(election.names)} ({election.id}, {election.date})\n"
        f"Участок / Precinct {precinct.code}: {_bilingual(precinct.names)}\n\n"
        f"ПИН / PIN: {pin}\n\n"
        "Вместе с карточкой председателя (передаётся отдельно) ПИН открывает и закрывает\n"
        "голосование. Храните письмо отдельно от карточки и уничтожьте, запомнив ПИН.\n"
        "Together with the chair card (sent separately) the PIN opens and closes the polls.\n"
        "Keep this letter apart from the card; destroy it once the PIN is memorised.\n"
    ).encode()


def share_card_name(precinct: str, member: int, count: int) -> str:
    """File name stem of member `member` (1-based) of `count` of a precinct's share cards."""
    return f"{precinct}-share-{member}-of-{count}"


def chair_card_name(precinct: str) -> str:
    return f"{precinct}-chair"


def pin_letter_name(precinct: str) -> str:
    return f"{precinct}-chair-pin.txt"


def write_commission_outputs(
    directory: Path, created: CreatedElection, commission: SigningKey
) -> None:
    """Sign and write the package, the share cards, chair cards and PIN letters.

    Refuses a directory that already holds cards or a package: new cards must never
    overwrite the only copy of an earlier key's cards.
    """
    for name in (PACKAGE_DIR, CARDS_DIR, PIN_LETTERS_DIR):
        if (directory / name).exists():
            raise CommissionError(f"{directory / name}: already exists; use a new directory")
    election = created.election
    cards_dir = directory / CARDS_DIR
    # Not even the names of the secret files are for other users.
    for name in (CARDS_DIR, PIN_LETTERS_DIR):
        (directory / name).mkdir(mode=0o700, parents=True)
    for code, secret in created.secrets.items():
        for member, card in enumerate(secret.share_cards, 1):
            stem = share_card_name(code, member, created.share_count)
            png = share_card_png(election, card, member, created.threshold, created.share_count)
            write_private_file(cards_dir / f"{stem}.png", png)
            write_private_file(cards_dir / f"{stem}.txt", card.payload().encode() + b"\n")
        stem = chair_card_name(code)
        write_private_file(cards_dir / f"{stem}.png", chair_card_png(election, secret.chair_card))
        write_private_file(cards_dir / f"{stem}.txt", secret.chair_card.payload().encode() + b"\n")
        write_private_file(
            directory / PIN_LETTERS_DIR / pin_letter_name(code),
            pin_letter(election, code, secret.chair_pin),
        )
    # The package last: a package on disk means its cards were written.
    pkg.write_package(
        directory / PACKAGE_DIR,
        election,
        created.register_files,
        created.terminal_keys,
        commission,
        created.media_files,
    )

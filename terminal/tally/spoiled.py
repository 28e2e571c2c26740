"""Spoiled (challenged) ballots: what a Benaloh challenge keeps, on the card and in the bundle.

A challenged ballot is never cast. The terminal keeps its signed format-2 record, the
choices it encrypted and every option's encryption nonce, so anyone can check that the
nonces re-encrypt those choices to the committed ciphertexts: the terminal could not know,
when it printed the receipt, which ballots would be challenged. The store is one file,

    spoiled.json = canonical JSON {"format": "tamga-spoiled/1", "ballots": [entry, ...]}
    entry        = {"tracking_code", "record" (hex), "selections" {contest: [choice ids]},
                    "nonces" [[64 hex digits per option] per contest]}

sorted by tracking code (a hash) and replaced atomically and durably for every challenge:
a cut leaves the old file or the new one, and neither the order of the entries nor any
field says when a ballot was challenged or by whom. The event log records no challenge
either, since a spoiled ballot's choices are public: its time would point at the voter in
the booth then, whose cast ballot likely holds the same choices. The bundle carries the
same file under the same name.
"""

from __future__ import annotations

from dataclasses import dataclass

from terminal.ballot.election import Election, Precinct
from terminal.hal.storage import Storage
from terminal.jsonfmt import FormatError, canonical_json, load_object
from terminal.tally import elgamal, encrypted_ballot, sealing
from terminal.tally.encrypted_ballot import BallotError, Nonces
from terminal.tally.sealing import SealError
from terminal.tally.tracking import tracking_code
from terminal.trust.signing import VerifyKey

FILE = "spoiled.json"
FORMAT = "tamga-spoiled/1"


class SpoiledError(ValueError):
    """A spoiled ballot that does not check; the message names its tracking code."""


@dataclass(frozen=True)
class Spoiled:
    """One challenged ballot: its record, the choices it encrypted and its nonces."""

    record: bytes
    selections: dict[str, tuple[str, ...]]
    nonces: Nonces

    @property
    def tracking_code(self) -> str:
        return tracking_code(sealing.ballot_body(self.record))

    def to_json(self) -> dict[str, object]:
        return {
            "tracking_code": self.tracking_code,
            "record": self.record.hex(),
            "selections": {k: sorted(v) for k, v in sorted(self.selections.items())},
            "nonces": [[elgamal.encode_scalar(r).hex() for r in rs] for rs in self.nonces],
        }


def encode(ballots: list[Spoiled]) -> bytes:
    """The store's bytes: entries sorted by tracking code, nothing about their order."""
    entries = sorted((b.to_json() for b in ballots), key=lambda e: str(e["tracking_code"]))
    return canonical_json({"format": FORMAT, "ballots": entries})


def decode(data: bytes, source: str) -> list[Spoiled]:
    """Read a spoiled-ballot file; FormatError names the entry that is malformed."""
    top = load_object(data, source)
    if top.str("format") != FORMAT:
        raise FormatError(f"{source}: not a {FORMAT} file")
    out = []
    for at, entry in enumerate(top.objects("ballots")):
        where = f"{source}: spoiled ballot {at + 1}"
        code = entry.str("tracking_code")
        try:
            record = bytes.fromhex(entry.str("record"))
            nonces = tuple(
                tuple(elgamal.decode_scalar(bytes.fromhex(r), "nonce") for r in rs)
                for rs in entry.list("nonces")
            )
        except (ValueError, TypeError, AttributeError) as exc:
            raise FormatError(f"{where} ({code}): {exc}") from exc
        chosen = entry.obj("selections")
        selections = {}
        for contest in sorted(chosen.value):
            ids = chosen.list(contest)
            if not all(isinstance(i, str) for i in ids):
                raise FormatError(f"{where} ({code}): choices must be strings")
            selections[contest] = tuple(ids)
        ballot = Spoiled(record, selections, nonces)
        if ballot.tracking_code != code:
            raise FormatError(f"{where}: tracking code {code} is not its record's")
        out.append(ballot)
    if [b.tracking_code for b in out] != sorted({b.tracking_code for b in out}):
        raise FormatError(f"{source}: entries not sorted by tracking code, or repeated")
    return out


class SpoiledStore:
    """The terminal's spoiled ballots, in storage/spoiled.json."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def ballots(self) -> list[Spoiled]:
        if not self.storage.exists(FILE):
            return []
        return decode(self.storage.read(FILE), FILE)

    def add(self, ballot: Spoiled) -> None:
        """Keep a challenged ballot; returns only once it is durable."""
        kept = self.ballots()
        if ballot.tracking_code not in {b.tracking_code for b in kept}:  # a retried print
            self.storage.replace(FILE, encode([*kept, ballot]))

    def exported(self) -> bytes:
        """The file for the bundle (an empty list when nobody challenged)."""
        return encode(self.ballots())


def check(
    ballots: list[Spoiled],
    election: Election,
    precinct: Precinct,
    signer: VerifyKey,
    cast_codes: set[str],
) -> list[str]:
    """Check every spoiled ballot: the terminal signed it, its proofs hold, its nonces
    re-encrypt its recorded choices to its ciphertexts, and it is not among the cast
    ballots. Returns their tracking codes; SpoiledError names the first that fails."""
    shape = sealing.record_format(election)
    ctx = sealing.context(election, precinct)
    for ballot in ballots:
        code = ballot.tracking_code
        try:
            sealing.check_record(ballot.record, signer, shape)
            encrypted = encrypted_ballot.decode(sealing.ballot_body(ballot.record), election)
            encrypted_ballot.check(encrypted, election, ctx)
        except (SealError, BallotError) as exc:
            raise SpoiledError(f"spoiled ballot {code}: {exc}") from exc
        if not encrypted_ballot.reencrypt_check(
            election, ctx, encrypted, ballot.selections, ballot.nonces
        ):
            raise SpoiledError(
                f"spoiled ballot {code}: its nonces do not re-encrypt its printed choices "
                "to its ciphertexts"
            )
        if code in cast_codes:
            raise SpoiledError(f"spoiled ballot {code} is among the cast ballots")
    return [b.tracking_code for b in ballots]

"""Key-share cards: the precinct's X25519 sealing key split k-of-n with SLIP-39.

A card carries `TAMGA-SHARE:1:<election>:<precinct>:<33 words>` as a QR code, with the
words printed beside it as the human-readable backup. SLIP-39 carries its own checksum
and a set identifier, so a mistyped, foreign or mixed-up card is caught before any
secret is reconstructed, and the reconstructed key is checked against the package.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import Enum

import shamir_mnemonic
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from shamir_mnemonic.share import Share

CARD_PREFIX = "TAMGA-SHARE:1"


class ShareProblem(Enum):
    """Why a scanned card was refused; each has its own message on screen."""

    NOT_A_SHARE = "not_a_share"
    OTHER_PRECINCT = "other_precinct"
    DAMAGED = "damaged"
    DUPLICATE = "duplicate"
    FOREIGN_SET = "foreign_set"
    WRONG_KEY = "wrong_key"
    NOT_REGISTERED = "not_registered"


@dataclass(frozen=True)
class ShareCard:
    election: str
    precinct: str
    mnemonic: str

    def payload(self) -> str:
        return f"{CARD_PREFIX}:{self.election}:{self.precinct}:{self.mnemonic}"

    def digest(self) -> str:
        """The card's SHA-256 as the package lists it. A share is as random as the key it
        splits, so its hash tells nothing of the key."""
        return hashlib.sha256(b"tamga-share-card/1\0" + self.payload().encode()).hexdigest()


def split_key(
    private_key: bytes, election: str, precinct: str, threshold: int, count: int
) -> list[ShareCard]:
    """Split a raw 32-byte X25519 private key into `count` cards; any `threshold` open it."""
    groups = shamir_mnemonic.generate_mnemonics(1, [(threshold, count)], private_key)
    return [ShareCard(election, precinct, words) for words in groups[0]]


def public_key_of(private_key: bytes) -> bytes:
    key = X25519PrivateKey.from_private_bytes(private_key)
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def parse_card(payload: str) -> ShareCard | None:
    parts = payload.strip().split(":", 4)
    if len(parts) != 5 or ":".join(parts[:2]) != CARD_PREFIX:
        return None
    return ShareCard(parts[2], parts[3], " ".join(parts[4].split()))


@dataclass
class ShareCollector:
    """Collects scanned cards for one precinct until enough are there to rebuild its key."""

    election: str
    precinct: str
    public_key: bytes
    registered: tuple[str, ...] = ()  # the package's card digests, member 1 first
    shares: list[Share] = field(default_factory=list)
    last_member: int | None = None  # the number of the card last scanned, when known

    @property
    def needed(self) -> int:
        """How many cards are needed in all (known after the first good card)."""
        return self.shares[0].member_threshold if self.shares else 2

    def add(self, payload: str) -> ShareProblem | bytes | None:
        """Take one scanned card.

        Returns a ShareProblem if the card is refused (nothing is kept; for WRONG_KEY the
        cards of that set held so far are dropped too, which a package listing its cards
        never comes to: an unlisted card is refused alone as NOT_REGISTERED), the raw private
        key once enough cards are in and it matches the precinct's public key, or None
        while more cards are needed. `last_member` then names the card by its number.
        (The terminal rebuilds the key only in its key process: it calls take() here, then
        combine() there, and refused() here if that refuses.)
        """
        problem = self.take(payload)
        if problem is not None or not self.complete:
            return problem
        secret = self.combine()
        if isinstance(secret, ShareProblem):
            self.refused(secret)
        return secret

    @property
    def complete(self) -> bool:
        """Enough cards are held to rebuild the key."""
        return bool(self.shares) and len(self.shares) >= self.needed

    def take(self, payload: str) -> ShareProblem | None:
        """Check one scanned card against those held and keep it, or say why not."""
        self.last_member = None
        card = parse_card(payload)
        if card is None:
            return ShareProblem.NOT_A_SHARE
        if card.election != self.election or card.precinct != self.precinct:
            return ShareProblem.OTHER_PRECINCT
        try:
            share = Share.from_mnemonic(card.mnemonic)
        except shamir_mnemonic.MnemonicError:
            return ShareProblem.DAMAGED
        if self.registered:
            if card.digest() not in self.registered:
                return ShareProblem.NOT_REGISTERED
            self.last_member = self.registered.index(card.digest()) + 1
        if self.shares:
            first = self.shares[0]
            if share.common_parameters() != first.common_parameters() or (
                share.group_parameters() != first.group_parameters()
            ):
                return ShareProblem.FOREIGN_SET
            if any(s.index == share.index for s in self.shares):
                return ShareProblem.DUPLICATE
        self.shares.append(share)
        return None

    def combine(self) -> bytes | ShareProblem:
        """The key the cards held rebuild, if it is the precinct's; changes nothing (it may
        run in a child process whose changes would be lost)."""
        try:
            secret: bytes = shamir_mnemonic.combine_mnemonics([s.mnemonic() for s in self.shares])
        except shamir_mnemonic.MnemonicError:
            return ShareProblem.FOREIGN_SET
        if len(secret) != 32 or public_key_of(secret) != self.public_key:
            return ShareProblem.WRONG_KEY
        return secret

    def refused(self, problem: ShareProblem) -> None:
        """Forget what combine() refused: the last card (it does not fit the others), or,
        for WRONG_KEY, every card: all are of one set (take() checked), and the set opens
        another key, so the right cards scanned next would be foreign to them."""
        if problem is ShareProblem.WRONG_KEY:
            self.shares.clear()
        else:
            self.shares.pop()

    def reset(self) -> None:
        self.shares.clear()

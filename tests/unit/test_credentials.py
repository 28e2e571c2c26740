"""The chair's card and PIN, and the key-share cards that open the ballot box at close."""

from __future__ import annotations

import base64
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from shamir_mnemonic.share import Share
from shamir_mnemonic.wordlist import WORDLIST

from terminal.trust import chair
from terminal.trust.chair import ChairVerifier
from terminal.trust.shares import (
    ShareCard,
    ShareCollector,
    ShareProblem,
    parse_card,
    public_key_of,
    split_key,
)
from tests.unit.conftest import fuzz, x25519_pair

# --- chair -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def issued() -> tuple[chair.ChairCard, str, ChairVerifier]:
    return chair.issue("kg-2025", "P1")


def test_the_issued_card_and_pin_open(issued: tuple[chair.ChairCard, str, ChairVerifier]) -> None:
    card, pin, verifier = issued
    assert len(pin) == 6 and pin.isdigit()
    assert len(card.secret) == 16
    assert chair.check(card, pin, verifier)
    # The card as scanned from its QR code works the same.
    scanned = chair.parse_card(card.payload())
    assert scanned == card
    assert chair.check(scanned, pin, verifier)
    # The verifier that goes into the package holds neither the secret nor the PIN.
    assert card.secret not in verifier.digest + verifier.salt


def test_a_wrong_pin_or_card_does_not_open(
    issued: tuple[chair.ChairCard, str, ChairVerifier],
) -> None:
    card, pin, verifier = issued
    other_pin = f"{(int(pin) + 1) % 10**6:06d}"
    assert not chair.check(card, other_pin, verifier)
    other_card = chair.ChairCard(card.election, card.precinct, bytes(16))
    assert not chair.check(other_card, pin, verifier)
    flipped = bytes([card.secret[0] ^ 1]) + card.secret[1:]
    assert not chair.check(chair.ChairCard(card.election, card.precinct, flipped), pin, verifier)
    # Another credential of the same precinct does not open with this one's verifier.
    new_card, new_pin, _ = chair.issue("kg-2025", "P1")
    assert not chair.check(new_card, new_pin, verifier)


@pytest.mark.parametrize(
    "bad", ["", "12345", "1234567", "12345a", " 12345", "１２３４５６", "٠١٢٣٤٥"]
)
def test_pins_that_are_not_six_ascii_digits_are_refused(
    issued: tuple[chair.ChairCard, str, ChairVerifier], bad: str
) -> None:
    card, _, verifier = issued
    assert not chair.check(card, bad, verifier)


def test_card_payload_layout() -> None:
    card = chair.ChairCard("kg-2025", "P1", bytes(range(16)))
    token = base64.urlsafe_b64encode(bytes(range(16))).decode().rstrip("=")
    assert card.payload() == f"TAMGA-CHAIR:1:kg-2025:P1:{token}"
    assert chair.parse_card(f"  {card.payload()}\r\n") == card  # scanner suffixes are fine


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "TAMGA-CHAIR:1:kg-2025:P1",
        "TAMGA-CHAIR:2:kg-2025:P1:AAECAwQFBgcICQoLDA0ODw",
        "TAMGA-SHARE:1:kg-2025:P1:AAECAwQFBgcICQoLDA0ODw",
        "TAMGA-CHAIR:1:kg-2025:P1:AAECAwQFBgcICQoLDA0O",  # 14 bytes
        "TAMGA-CHAIR:1:kg-2025:P1:AAECAwQFBgcICQoLDA0ODxA",  # 17 bytes
        "TAMGA-CHAIR:1:kg-2025:P1:AAECAwQFBgcICQoLDA0OD*",
        "TAMGA-CHAIR:1:kg-2025:P1:AAECAwQFBgcICQoLDA0ODw:extra",
        "TAMGA-CHAIR:1:kg-2025:P1:АБВГ",
    ],
)
def test_malformed_chair_cards_are_not_cards(payload: str) -> None:
    assert chair.parse_card(payload) is None


@fuzz(200)
@given(st.text(max_size=60) | st.text(max_size=40).map(lambda t: "TAMGA-CHAIR:1:e:P:" + t))
def test_parse_card_never_raises(payload: str) -> None:
    card = chair.parse_card(payload)
    assert card is None or (len(card.secret) == 16 and card.payload() == payload.strip())


# --- key shares --------------------------------------------------------------------------------

ELECTION, PRECINCT = "kg-2025", "P1"


@pytest.fixture(scope="module")
def sealing() -> tuple[bytes, list[ShareCard]]:
    private, _ = x25519_pair()
    return private, split_key(private, ELECTION, PRECINCT, 2, 3)


def identifier(card: ShareCard) -> int:
    return int(Share.from_mnemonic(card.mnemonic).identifier)


def another_split(private: bytes, unlike: list[ShareCard]) -> list[ShareCard]:
    """A new split of `private`; its 15-bit set id differs from `unlike`'s (1 in 32768 would
    not, and such a set can only be told apart when the key is rebuilt)."""
    while True:
        cards = split_key(private, ELECTION, PRECINCT, 2, 3)
        if identifier(cards[0]) != identifier(unlike[0]):
            return cards


@pytest.fixture(scope="module")
def foreign(sealing: tuple[bytes, list[ShareCard]]) -> tuple[bytes, list[ShareCard]]:
    """Another split of another key, for the same election and precinct."""
    private, _ = x25519_pair()
    return private, another_split(private, sealing[1])


def collector_for(private: bytes) -> ShareCollector:
    return ShareCollector(ELECTION, PRECINCT, public_key_of(private))


def test_any_two_of_three_cards_rebuild_the_key(sealing: tuple[bytes, list[ShareCard]]) -> None:
    private, cards = sealing
    assert len(cards) == 3 and len({c.mnemonic for c in cards}) == 3
    assert all(len(c.mnemonic.split()) == 33 for c in cards)
    for a, b in itertools.permutations(cards, 2):
        collector = collector_for(private)
        assert collector.needed == 2
        assert collector.add(a.payload()) is None
        assert collector.add(b.payload()) == private


def test_one_card_alone_opens_nothing(sealing: tuple[bytes, list[ShareCard]]) -> None:
    private, cards = sealing
    collector = collector_for(private)
    assert collector.add(cards[0].payload()) is None
    assert len(collector.shares) == 1 and collector.needed == 2
    assert private.hex() not in repr(collector)


def refused_then_good(
    private: bytes, cards: list[ShareCard], bad: str, expected: ShareProblem, first: bool = True
) -> None:
    """Card 1 (if `first`), then `bad` is refused with `expected`, then card 2 still opens."""
    collector = collector_for(private)
    if first:
        assert collector.add(cards[0].payload()) is None
    held = list(collector.shares)
    assert collector.add(bad) is expected
    assert collector.shares == held  # nothing kept
    if not first:
        assert collector.add(cards[0].payload()) is None
    assert collector.add(cards[1].payload()) == private


def test_a_card_scanned_twice_is_a_duplicate(sealing: tuple[bytes, list[ShareCard]]) -> None:
    private, cards = sealing
    refused_then_good(private, cards, cards[0].payload(), ShareProblem.DUPLICATE)
    # The same card with its words spaced differently is still the same card.
    spaced = cards[0].payload().replace(" ", "  ")
    refused_then_good(private, cards, spaced, ShareProblem.DUPLICATE)


def test_a_card_of_another_set_is_foreign(
    sealing: tuple[bytes, list[ShareCard]], foreign: tuple[bytes, list[ShareCard]]
) -> None:
    private, cards = sealing
    for card in foreign[1]:
        refused_then_good(private, cards, card.payload(), ShareProblem.FOREIGN_SET)
    # Cards made again for the same key are another set too.
    again = another_split(private, cards)
    refused_then_good(private, cards, again[1].payload(), ShareProblem.FOREIGN_SET)


def test_a_card_with_any_one_word_changed_is_damaged(
    sealing: tuple[bytes, list[ShareCard]],
) -> None:
    private, cards = sealing
    words = cards[2].mnemonic.split()
    for index, word in enumerate(words):
        other = WORDLIST[(WORDLIST.index(word) + 1 + index) % len(WORDLIST)]
        changed = ShareCard(
            ELECTION, PRECINCT, " ".join([*words[:index], other, *words[index + 1 :]])
        )
        refused_then_good(
            private, cards, changed.payload(), ShareProblem.DAMAGED, first=index % 2 == 0
        )
    for mangled in (" ".join(words[:-1]), " ".join([*words, words[0]]), "academic acid"):
        payload = ShareCard(ELECTION, PRECINCT, mangled).payload()
        refused_then_good(private, cards, payload, ShareProblem.DAMAGED)


def test_a_card_of_another_precinct_or_election_is_refused(
    sealing: tuple[bytes, list[ShareCard]],
) -> None:
    private, cards = sealing
    for election, precinct in (("kg-2025", "P2"), ("kg-2024", "P1")):
        card = ShareCard(election, precinct, cards[1].mnemonic)
        refused_then_good(private, cards, card.payload(), ShareProblem.OTHER_PRECINCT)


@pytest.mark.parametrize(
    "payload",
    ["", "hello", "TAMGA-CHAIR:1:kg-2025:P1:AAECAwQFBgcICQoLDA0ODw", "TAMGA-SHARE:2:kg-2025:P1:x"],
)
def test_something_else_is_not_a_share(
    sealing: tuple[bytes, list[ShareCard]], payload: str
) -> None:
    private, cards = sealing
    refused_then_good(private, cards, payload, ShareProblem.NOT_A_SHARE)


def test_a_whole_set_of_another_key_is_the_wrong_key(
    sealing: tuple[bytes, list[ShareCard]], foreign: tuple[bytes, list[ShareCard]]
) -> None:
    """Two good cards of a set for another key: refused as a pair, and the right cards
    scanned after them still open the box (the chair is never stuck)."""
    private, cards = sealing
    collector = collector_for(private)
    assert collector.add(foreign[1][0].payload()) is None  # nothing to tell it apart yet
    assert collector.add(foreign[1][1].payload()) is ShareProblem.WRONG_KEY
    assert collector.add(cards[2].payload()) is None
    assert collector.add(cards[0].payload()) == private


def test_parse_share_card_payloads() -> None:
    card = ShareCard("kg-2025", "P1", "academic acid acrobat")
    assert card.payload() == "TAMGA-SHARE:1:kg-2025:P1:academic acid acrobat"
    assert parse_card(card.payload() + "\n") == card
    assert parse_card("TAMGA-SHARE:1:kg-2025:P1:academic\n acid   acrobat") == card
    assert parse_card("TAMGA-SHARE:1:kg-2025") is None

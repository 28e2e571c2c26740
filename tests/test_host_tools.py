"""The commission's office and the auditor's verify / tally / recount, on a tiny election."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
import random
import resource
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from host_tools import commission as office
from host_tools.__main__ import main
from host_tools.tally import recount
from host_tools.verify import ShareCardError, rebuild_keys, verify_bundles
from terminal.ballot import package as pkg
from terminal.ballot.election import Choice, Contest, ContestKind, Mode, Role
from terminal.ballot.package import load_package
from terminal.idscan.pin import Sex, make_pin
from terminal.idscan.register import Register, Voter
from terminal.jsonfmt import canonical_json
from terminal.tally.bundle import write_bundle
from terminal.tally.count import CountError
from terminal.tally.event_log import record_line
from terminal.tally.protocol import ContestResult
from terminal.tally.sealing import MAX_RECORD_SIZE, RECORD_SIZE
from terminal.trust import chair
from terminal.trust.envelope import raw_public
from terminal.trust.shares import ShareCollector, ShareProblem, public_key_of
from terminal.trust.signing import SigningKey
from tests.bundle_factory import export_again, make_bundle

ELECTION_ID = "kg-2025-local"
CONTESTS = (
    Contest(
        "mayor",
        {"ru": "Мэр", "en": "Mayor", "ky": "Мэр"},
        (
            Choice("asanov", {"ru": "Асанов А.", "en": "Asanov A."}),
            Choice("bekova", {"ru": "Бекова Б.", "en": "Bekova B."}),
            Choice("against", {"ru": "Против всех", "en": "Against all"}, against_all=True),
        ),
        blank_allowed=True,
    ),
    Contest(
        "council",
        {"ru": "Городской совет", "en": "City council"},
        tuple(Choice(c, {"en": f"Party {c.upper()}"}) for c in ("a", "b", "c", "d")),
        max_selections=2,
        kind=ContestKind.UP_TO_K,
        blank_allowed=True,
    ),
)
# Ballots of the combined terminal of P1 and the voting terminal of P2.
P1_BALLOTS = [
    {"mayor": ["asanov"], "council": ["a", "b"]},
    {"mayor": ["asanov"], "council": ["c"]},
    {"mayor": ["bekova"], "council": []},
    {"mayor": [], "council": ["a", "d"]},
]
P2_BALLOTS = [
    {"mayor": ["bekova"], "council": ["b"]},
    {"mayor": ["against"], "council": ["a", "b"]},
    {"mayor": ["bekova"]},
]


def _encryption_key() -> bytes:
    """A terminal's X25519 public key, as provisioning makes it."""
    return raw_public(X25519PrivateKey.generate())


def spec(election_id: str = ELECTION_ID, mode: Mode = Mode.OFFICIAL) -> office.ElectionSpec:
    return office.ElectionSpec(
        id=election_id,
        names={"ru": "Местные выборы", "en": "Local elections", "ky": "Жергиликтүү шайлоо"},
        date=dt.date(2025, 11, 30),
        timezone="+06:00",
        polls_open=dt.time(8, 0),
        polls_close=dt.time(20, 0),
        mode=mode,
        country="KG",
        contests=CONTESTS,
    )


def make_register(code: str, voters: int, first_serial: int) -> Register:
    people = []
    for i in range(voters):
        birth = dt.date(1960 + i, 1 + i % 12, 1 + i)
        people.append(
            Voter(
                surname=f"Фамилия{i}",
                name="Имя",
                patronymic="",
                birth_date=birth,
                number=make_pin(Sex.FEMALE if i % 2 else Sex.MALE, birth, first_serial + i),
                document=f"ID{first_serial + i:07d}",
                document_issued=dt.date(2020, 1, 1),
                address=f"Бишкек, ул. Токтогула {i + 1}",
                precinct=code,
            )
        )
    return Register(code, tuple(people))


PRECINCTS = (
    office.PrecinctSpec("P1", {"ru": "Участок 1", "en": "Precinct 1"}, make_register("P1", 5, 1)),
    office.PrecinctSpec("P2", {"ru": "Участок 2", "en": "Precinct 2"}, make_register("P2", 4, 100)),
)


@dataclass(frozen=True)
class Office:
    root: Path
    created: office.CreatedElection
    commission: SigningKey
    terminals: dict[str, SigningKey]

    @property
    def package(self) -> Path:
        return self.root / office.PACKAGE_DIR

    def card(self, precinct: str, member: int) -> Path:
        name = office.share_card_name(precinct, member, self.created.share_count)
        return self.root / office.CARDS_DIR / f"{name}.txt"


def registrations(keys: dict[str, SigningKey]) -> list[office.TerminalRegistration]:
    roles = {"T-1001": ("P1", Role.COMBINED), "T-2001": ("P2", Role.IDENTIFY)}
    roles["T-2002"] = ("P2", Role.VOTE)
    return [
        office.TerminalRegistration(tid, *roles[tid], key.public, _encryption_key())
        for tid, key in keys.items()
    ]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Office:
    root = tmp_path_factory.mktemp("commission")
    terminals = {tid: SigningKey.generate() for tid in ("T-1001", "T-2001", "T-2002")}
    created = office.build_election(spec(), PRECINCTS, 2, 3, registrations(terminals))
    commission = office.create_commission_key(root / office.COMMISSION_KEY_FILE)
    office.write_commission_outputs(root, created, commission)
    return Office(root, created, commission, terminals)


@dataclass(frozen=True)
class Bundles:
    p1: Path  # combined terminal, 4 ballots and 1 void
    p2_vote: Path  # voting terminal of a two-device precinct, 3 ballots
    p2_identify: Path  # its identification terminal: no ballots at all

    def all(self) -> list[str]:
        return [str(self.p1), str(self.p2_vote), str(self.p2_identify)]


@pytest.fixture(scope="module")
def bundles(tiny: Office, tmp_path_factory: pytest.TempPathFactory) -> Bundles:
    root = tmp_path_factory.mktemp("bundles")
    election, keys = tiny.created.election, tiny.terminals
    return Bundles(
        make_bundle(root / "p1", election, "P1", "T-1001", keys["T-1001"], P1_BALLOTS, voids=1),
        make_bundle(root / "p2v", election, "P2", "T-2002", keys["T-2002"], P2_BALLOTS),
        make_bundle(
            root / "p2i", election, "P2", "T-2001", keys["T-2001"], [], coupons=len(P2_BALLOTS)
        ),
    )


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def pin(tiny: Office) -> list[str]:
    """The command-line pin of the tiny election's commission key."""
    return ["--commission-key", tiny.commission.public.fingerprint()]


def files_under(root: Path) -> Iterator[Path]:
    return (p for p in sorted(root.rglob("*")) if p.is_file())


# --- the commission's office --------------------------------------------------------------------


def test_package_verifies_and_holds_what_was_built(tiny: Office) -> None:
    package = load_package(tiny.package, trusted_commission=tiny.commission.public)
    assert package.election == tiny.created.election
    for p in PRECINCTS:
        keys = tiny.created.secrets[p.code].keys
        assert package.register(p.code, keys) == p.register
        # The register travels encrypted: no voter's number is readable in the package.
        encrypted = (tiny.package / pkg.register_path(p.code)).read_bytes()
        assert all(v.number.encode() not in encrypted for v in p.register.voters)
        precinct = package.election.precinct(p.code)
        assert precinct is not None
        voters = len(p.register.voters)
        assert precinct.ballot_slots == voters + 8 == office.ballot_slots(voters)
    for tid, key in tiny.terminals.items():
        assert package.terminal_key(tid).raw() == key.public.raw()
    assert office.ballot_slots(3000) == 3150


def test_any_two_of_three_cards_rebuild_the_sealing_key(tiny: Office) -> None:
    package = load_package(tiny.package)
    for precinct in package.election.precincts:
        for a, b in itertools.combinations((1, 2, 3), 2):
            collector = ShareCollector(
                ELECTION_ID, precinct.code, precinct.sealing_key, precinct.share_cards
            )
            assert collector.add(tiny.card(precinct.code, a).read_text()) is None
            assert collector.last_member == a
            key = collector.add(tiny.card(precinct.code, b).read_text())
            assert isinstance(key, bytes)
            assert public_key_of(key) == precinct.sealing_key
    cards = [tiny.card("P1", 3), tiny.card("P2", 1), tiny.card("P1", 1), tiny.card("P2", 3)]
    keys = rebuild_keys(package, cards)
    for precinct in package.election.precincts:
        assert public_key_of(keys[precinct.code]) == precinct.sealing_key


def card_problems(tiny: Office, cards: list[Path]) -> str:
    with pytest.raises(ShareCardError) as caught:
        rebuild_keys(load_package(tiny.package), cards)
    return str(caught.value)


def test_refused_cards_each_have_their_own_message(tiny: Office, tmp_path: Path) -> None:
    one = tiny.card("P1", 1)
    assert "too few good cards: 1 given, 2 needed" in card_problems(tiny, [one])
    message = card_problems(tiny, [one, one])
    assert f"{one}: precinct P1: card 1 of 3: duplicate" in message and "too few" in message

    prefix, _, mnemonic = one.read_text().strip().rpartition(":")
    words = mnemonic.split()
    # Swap two different words: every word stays valid, only the checksum can tell.
    i = next(i for i in range(10, 32) if words[i] != words[i + 1])
    words[i], words[i + 1] = words[i + 1], words[i]
    damaged = tmp_path / "damaged.txt"
    damaged.write_text(f"{prefix}:{' '.join(words)}\n")
    assert f"{damaged}: precinct P1: damaged" in card_problems(tiny, [damaged, tiny.card("P1", 2)])

    # Another key split for the same election id and precinct (e.g. a reissued set): not a
    # card the package lists, refused alone and by name.
    other = office.build_election(spec(), PRECINCTS[:1], 2, 3).secrets["P1"].share_cards
    foreign = tmp_path / "foreign.txt"
    foreign.write_text(other[0].payload())
    message = card_problems(tiny, [one, foreign])
    assert f"{foreign}: precinct P1: not one of the cards the package lists" in message
    foreign_2 = tmp_path / "foreign-2.txt"
    foreign_2.write_text(other[1].payload())
    assert "wrong key" not in card_problems(tiny, [foreign, foreign_2])

    elsewhere = office.build_election(spec("kz-2025-other"), PRECINCTS[:1], 2, 3)
    alien = tmp_path / "alien.txt"
    alien.write_text(elsewhere.secrets["P1"].share_cards[0].payload())
    assert f"{alien}: a foreign card: it is of election 'kz-2025-other'" in card_problems(
        tiny, [alien, one, tiny.card("P1", 2)]
    )

    junk = tmp_path / "junk.txt"
    junk.write_text("hello")
    assert f"{junk}: not a Tamga key-share card" in card_problems(tiny, [junk])


def test_a_bad_card_scanned_first_spoils_none_of_the_good_ones(tiny: Office) -> None:
    """Issue 11: a foreign card scanned first used to set the card set, so every real card
    after it was refused as foreign (or all were dropped as a wrong key)."""
    package = load_package(tiny.package)
    precinct = package.election.precinct("P1")
    assert precinct is not None
    other = office.build_election(spec(), PRECINCTS[:1], 2, 3).secrets["P1"].share_cards
    collector = ShareCollector(
        ELECTION_ID, precinct.code, precinct.sealing_key, precinct.share_cards
    )
    assert collector.add(other[0].payload()) is ShareProblem.NOT_REGISTERED
    assert collector.add(other[1].payload()) is ShareProblem.NOT_REGISTERED
    assert collector.add(tiny.card("P1", 3).read_text()) is None
    assert collector.add(other[2].payload()) is ShareProblem.NOT_REGISTERED
    key = collector.add(tiny.card("P1", 2).read_text())
    assert isinstance(key, bytes) and public_key_of(key) == precinct.sealing_key


def test_secret_files_are_private_and_the_key_is_nowhere(tiny: Office) -> None:
    secret_files = [tiny.root / office.COMMISSION_KEY_FILE]
    secret_files += files_under(tiny.root / office.CARDS_DIR)
    secret_files += files_under(tiny.root / office.PIN_LETTERS_DIR)
    # 2 precincts x (3 share cards + 1 chair card) x (png + txt), and 2 PIN letters
    assert len(secret_files) == 1 + 16 + 2
    for path in secret_files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for name in (office.CARDS_DIR, office.PIN_LETTERS_DIR):
        assert stat.S_IMODE((tiny.root / name).stat().st_mode) == 0o700
    package = load_package(tiny.package)
    keys = rebuild_keys(package, [tiny.card(p, m) for p in ("P1", "P2") for m in (1, 2)])
    for path in files_under(tiny.root):
        data = path.read_bytes()
        for key in keys.values():
            assert key not in data and key.hex().encode() not in data, path


def test_every_commission_signature_verifies_with_openssl(tiny: Office) -> None:
    signatures = list(tiny.package.rglob("*.sig"))
    assert [p.name for p in signatures] == ["election.json.sig"]
    for sig in signatures:
        openssl_verify(tiny.package / "commission.pub.pem", sig)


def openssl_verify(public_key: Path, sig: Path) -> None:
    signed = sig.with_name(sig.name.removesuffix(".sig"))
    command = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(public_key), "-rawin"]
    command += ["-in", str(signed), "-sigfile", str(sig)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, (sig, result.stdout, result.stderr)
    assert "Signature Verified Successfully" in result.stdout


def zbar(png: Path) -> str:
    result = subprocess.run(
        ["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True, check=True
    )
    return result.stdout.rstrip("\n")


def test_printed_cards_scan_back_to_their_payloads(tiny: Office) -> None:
    pngs = sorted((tiny.root / office.CARDS_DIR).glob("*.png"))
    assert len(pngs) == 8
    for png in pngs:
        assert zbar(png) == png.with_suffix(".txt").read_text().strip(), png
    secrets = tiny.created.secrets["P2"]
    assert tiny.card("P2", 3).read_text().strip() == secrets.share_cards[2].payload()
    assert len(secrets.share_cards[2].mnemonic.split()) == 33
    chair_png = tiny.root / office.CARDS_DIR / f"{office.chair_card_name('P2')}.png"
    scanned = chair.parse_card(zbar(chair_png))
    assert scanned == secrets.chair_card
    letter = (tiny.root / office.PIN_LETTERS_DIR / office.pin_letter_name("P2")).read_text()
    assert f"PIN: {secrets.chair_pin}" in letter
    assert chair.check(scanned, secrets.chair_pin, secrets.keys.chair)
    assert repr(secrets) == "PrecinctSecrets()"  # nothing secret leaks into logs


def test_commission_refuses_bad_inputs_and_overwrites(tiny: Office) -> None:
    with pytest.raises(office.CommissionError, match="threshold"):
        office.build_election(spec(), PRECINCTS, 1, 3)
    with pytest.raises(office.CommissionError, match="timezone"):
        office.build_election(
            office.ElectionSpec(**{**vars(spec()), "timezone": "Asia/Bishkek"}), PRECINCTS, 2, 3
        )
    wrong = office.PrecinctSpec("P3", {"en": "Precinct 3"}, PRECINCTS[0].register)
    with pytest.raises(office.CommissionError, match="register is of P1"):
        office.build_election(spec(), [wrong], 2, 3)
    stray = office.TerminalRegistration(
        "T-9", "P9", Role.VOTE, SigningKey.generate().public, _encryption_key()
    )
    with pytest.raises(office.CommissionError, match="P9"):
        office.build_election(spec(), PRECINCTS[:1], 2, 3, [stray])
    with pytest.raises(office.CommissionError, match="already"):
        office.create_commission_key(tiny.root / office.COMMISSION_KEY_FILE)
    with pytest.raises(office.CommissionError, match="already exists"):
        office.write_commission_outputs(tiny.root, tiny.created, tiny.commission)


def test_terminals_registered_later_go_into_the_signed_package(tmp_path: Path) -> None:
    created = office.build_election(spec(), PRECINCTS, 2, 3)
    late = SigningKey.generate()
    created = office.register_terminals(
        created,
        [
            office.TerminalRegistration(
                "T-3001", "P1", Role.COMBINED, late.public, _encryption_key()
            )
        ],
    )
    commission = SigningKey.generate()
    office.write_commission_outputs(tmp_path, created, commission)
    package = load_package(tmp_path / office.PACKAGE_DIR, commission.public)
    assert package.terminal_key("T-3001").raw() == late.public.raw()


# --- verify, tally, recount ---------------------------------------------------------------------


EXPECTED_TOTALS = {
    "election": ELECTION_ID,
    "mode": "official",
    "contests": {
        "mayor": {"asanov": 2, "bekova": 3, "against": 1},
        "council": {"a": 3, "b": 3, "c": 1, "d": 1},
    },
    # Ballots with no mark in a contest: beside the choices, never among them.
    "blank": {"mayor": 1, "council": 2},
    "precincts": ["P1", "P2"],
    "lines": {
        "voters_on_register": 9,
        "voters_received_ballot": 8,
        "ballots_issued": 8,
        "ballots_void": 1,
        "ballots_cast": 7,
        "damaged_slots": 0,
        "coupons_issued": len(P2_BALLOTS),
        "coupons_void": 0,
        "codes_refused": 0,
        "issued_on_bare_number": 0,
    },
    "bundles": 3,
}


def test_verify_passes_and_names_every_bundle(
    tiny: Office, bundles: Bundles, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "verify", *pin(tiny), "--package", str(tiny.package), *bundles.all()
    )
    assert (code, err) == (0, "")
    assert tiny.commission.public.fingerprint() in out
    assert f"OK {bundles.p1}: terminal T-1001, precinct P1, 4 ballots" in out
    assert f"OK {bundles.p2_vote}: terminal T-2002, precinct P2, 3 ballots" in out
    assert f"OK {bundles.p2_identify}: terminal T-2001, precinct P2, 0 ballots" in out


def test_verify_with_cards_recounts_every_ballot(
    tiny: Office, bundles: Bundles, capsys: pytest.CaptureFixture[str]
) -> None:
    cards = [str(tiny.card(p, m)) for p, m in (("P1", 1), ("P1", 3), ("P2", 2), ("P2", 3))]
    package = str(tiny.package)
    code, out, err = run(
        capsys, "verify", *pin(tiny), "--package", package, "--shares", *cards, *bundles.all()
    )
    assert (code, err) == (0, "")
    assert out.count("recount matches the protocol") == 3
    code, _, err = run(
        capsys, "verify", *pin(tiny), "--package", package, "--shares", *cards[:2], *bundles.all()
    )
    assert code == 1 and "no key-share cards were given for precinct P2" in err
    code, _, err = run(
        capsys, "verify", *pin(tiny), "--package", package, "--shares", cards[0], str(bundles.p1)
    )
    assert code == 1 and "too few good cards" in err


def test_tally_json_sums_every_choice(
    tiny: Office, bundles: Bundles, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "tally", *pin(tiny), "--package", str(tiny.package), "--json", *bundles.all()
    )
    assert (code, err) == (0, "")
    assert json.loads(out) == EXPECTED_TOTALS


def test_tally_text_is_a_readable_table(
    tiny: Office, bundles: Bundles, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "tally", *pin(tiny), "--package", str(tiny.package), *bundles.all())
    assert code == 0
    assert "Мэр / Mayor" in out and "Против всех / Against all" in out
    bekova = next(line for line in out.splitlines() if "Бекова Б. / Bekova B." in line)
    assert bekova.split()[-3:] == ["3", "42.9", "%"]
    assert "Bundles: 3; precincts reported: 2 of 2 (P1, P2)" in out
    assert any(line.split()[-1] == "9" for line in out.splitlines() if "Voters on the" in line)


def test_the_same_bundle_twice_counts_once(
    tiny: Office, bundles: Bundles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = shutil.copytree(bundles.p1, tmp_path / "p1-again")
    code, out, _ = run(
        capsys, "verify", *pin(tiny), "--package", str(tiny.package), *bundles.all(), str(copy)
    )
    assert code == 0 and f"(the same bundle as {bundles.p1}: counted once)" in out
    code, out, _ = run(
        capsys,
        "tally",
        *pin(tiny),
        "--package",
        str(tiny.package),
        "--json",
        *bundles.all(),
        str(copy),
    )
    assert code == 0 and json.loads(out) == EXPECTED_TOTALS


def test_a_second_export_of_the_same_results_counts_once(
    tiny: Office, bundles: Bundles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    again = export_again(bundles.p1, tmp_path / "p1-export-2", tiny.terminals["T-1001"])
    assert (again / "manifest.json").read_bytes() != (bundles.p1 / "manifest.json").read_bytes()
    code, out, _ = run(
        capsys, "verify", *pin(tiny), "--package", str(tiny.package), *bundles.all(), str(again)
    )
    assert code == 0
    assert f"(another export of the same results as {bundles.p1}: counted once)" in out
    code, out, _ = run(
        capsys,
        "tally",
        *pin(tiny),
        "--package",
        str(tiny.package),
        "--json",
        str(again),
        *bundles.all(),
    )
    assert code == 0 and json.loads(out) == EXPECTED_TOTALS


def test_two_different_bundles_of_one_terminal_conflict(
    tiny: Office, bundles: Bundles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tiny.terminals["T-1001"]
    other = make_bundle(tmp_path / "b", tiny.created.election, "P1", "T-1001", key, P1_BALLOTS)
    for command in ("verify", "tally"):
        code, _, err = run(
            capsys, command, *pin(tiny), "--package", str(tiny.package), str(bundles.p1), str(other)
        )
        assert code == 1
        assert f"{other}/protocol.json: conflict: terminal T-1001 already has a bundle" in err


def test_a_recount_refuses_ballots_changed_after_they_were_verified(
    tiny: Office, bundles: Bundles, tmp_path: Path
) -> None:
    """The verified bundle keeps the hash of ballots.bin, not the ballots: a recount reads the
    file again and must find the very bytes that verified."""
    copy = tmp_path / "copy"
    shutil.copytree(bundles.p1, copy)
    package = load_package(tiny.package)
    [result] = verify_bundles(package, [copy])
    assert result.bundle is not None and result.bundle.ballots == 4
    keys = rebuild_keys(package, [tiny.card("P1", 1), tiny.card("P1", 2)])
    assert recount(package, result.bundle, keys["P1"]).matches
    ballots = copy / "ballots.bin"
    ballots.write_bytes(ballots.read_bytes()[:-RECORD_SIZE])  # one ballot less, after verify
    with pytest.raises(CountError, match="changed after it was verified"):
        recount(package, result.bundle, keys["P1"])


def test_recount_sets_the_ballots_beside_the_protocol(
    tiny: Office, bundles: Bundles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cards = [str(tiny.card("P1", 2)), str(tiny.card("P1", 1))]
    package = str(tiny.package)
    code, out, err = run(
        capsys, "recount", *pin(tiny), "--package", package, "--shares", *cards, str(bundles.p1)
    )
    assert (code, err) == (0, "")
    assert "4 ballots decrypted" in out and "differs" not in out
    assert "OK precinct P1: the recount equals the signed protocol" in out

    # A terminal that signs a protocol with two candidates' votes swapped: every count
    # adds up, so only decrypting the ballots shows it.
    swapped = {
        "mayor": ContestResult({"asanov": 1, "bekova": 2, "against": 0}, 1),
        "council": ContestResult({"a": 2, "b": 1, "c": 1, "d": 1}, 1),
    }
    liar = make_bundle(
        tmp_path / "liar",
        tiny.created.election,
        "P1",
        "T-1001",
        tiny.terminals["T-1001"],
        P1_BALLOTS,
        protocol_changes={"contests": swapped},
    )
    assert run(capsys, "verify", *pin(tiny), "--package", package, str(liar))[0] == 0
    code, out, err = run(
        capsys, "recount", *pin(tiny), "--package", package, "--shares", *cards, str(liar)
    )
    assert code == 1
    assert f"FAIL precinct P1: {liar}/protocol.json: the recount of the decrypted ballots" in err
    assert "OK precinct P1" not in out
    asanov = next(line for line in out.splitlines() if "Asanov" in line)
    assert asanov.split()[-4:] == ["1", "2", "<--", "differs"]
    code, _, err = run(
        capsys, "verify", *pin(tiny), "--package", package, "--shares", *cards, str(liar)
    )
    assert code == 1 and f"{liar}/protocol.json: precinct P1: the recount of the decrypted" in err


def flips(size: int, rng: random.Random) -> list[int]:
    """Every offset of a small file; a few hundred of a large one."""
    return list(range(size)) if size <= 1024 else sorted(rng.sample(range(size), 300))


def test_flipping_any_byte_of_any_file_fails_naming_that_file(
    tiny: Office, bundles: Bundles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = shutil.copytree(bundles.p1, tmp_path / "flipped")
    rng = random.Random(20251130)
    names = [str(p.relative_to(bundle)) for p in files_under(bundle)]
    assert len(names) == 15
    for name in names:
        path = bundle / name
        original = path.read_bytes()
        # manifest.json.sig signs manifest.json: a bad signature is reported against the
        # file it fails to verify, like every other signed file.
        expected = "manifest.json" if name == "manifest.json.sig" else name
        for offset in flips(len(original), rng):
            damaged = bytearray(original)
            damaged[offset] ^= 1 << rng.randrange(8)
            path.write_bytes(bytes(damaged))
            code, _, err = run(
                capsys, "verify", *pin(tiny), "--package", str(tiny.package), str(bundle)
            )
            assert code == 1, (name, offset)
            assert f"{bundle}/{expected}" in err, (name, offset, err)
        path.write_bytes(original)
    assert run(capsys, "verify", *pin(tiny), "--package", str(tiny.package), str(bundle))[0] == 0


def test_unregistered_terminal_is_refused(
    tiny: Office, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stranger = make_bundle(
        tmp_path / "s", tiny.created.election, "P1", "T-6666", SigningKey.generate(), P1_BALLOTS
    )
    code, _, err = run(capsys, "verify", *pin(tiny), "--package", str(tiny.package), str(stranger))
    assert code == 1
    assert f"{stranger}/manifest.json: made by an unregistered terminal" in err


def test_bundle_of_another_election_is_refused(
    tiny: Office, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The same terminal, registered again for a logic-and-accuracy test election.
    key = tiny.terminals["T-1001"]
    registration = office.TerminalRegistration(
        "T-1001", "P1", Role.COMBINED, key.public, _encryption_key()
    )
    test = office.build_election(
        spec("kg-2025-lat", Mode.TEST), PRECINCTS[:1], 2, 3, [registration]
    )
    office.write_commission_outputs(tmp_path / "lat", test, tiny.commission)
    bundle = make_bundle(tmp_path / "b", test.election, "P1", "T-1001", key, P1_BALLOTS[:2])
    code, _, err = run(capsys, "verify", *pin(tiny), "--package", str(tiny.package), str(bundle))
    assert code == 1
    assert f"{bundle}/manifest.json: is for election 'kg-2025-lat', not 'kg-2025-local'" in err
    # Against its own package it verifies, and says TEST loudly.
    lat = str(tmp_path / "lat" / "package")
    code, out, _ = run(capsys, "tally", *pin(tiny), "--package", lat, str(bundle))
    banner = "*** TEST ELECTION / ТЕСТОВЫЕ ВЫБОРЫ: test results, never official ***"
    assert code == 0 and out.startswith(banner)
    table = out.split("\n\n", 1)[1]  # the totals without the package header: marked alone
    assert table.startswith(banner) and table.rstrip().endswith(banner)
    code, out, _ = run(capsys, "tally", *pin(tiny), "--package", lat, "--json", str(bundle))
    totals = json.loads(out)
    assert code == 0 and (totals["election"], totals["mode"]) == ("kg-2025-lat", "test")
    assert totals["test"] == banner
    assert "test" not in EXPECTED_TOTALS  # an official tally carries no banner


def test_protocol_that_disagrees_with_the_ballots_is_refused(
    tiny: Office, bundles: Bundles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    election, key = tiny.created.election, tiny.terminals["T-1001"]
    lines = {
        "voters_on_register": 5,
        "voters_received_ballot": 5,
        "ballots_issued": 5,
        "ballots_void": 0,
        "ballots_cast": 5,
        "damaged_slots": 0,
        "coupons_issued": 0,
        "coupons_void": 0,
        "codes_refused": 0,
        "issued_on_bare_number": 0,
    }
    padded = make_bundle(
        tmp_path / "a", election, "P1", "T-1001", key, P1_BALLOTS, protocol_changes={"lines": lines}
    )
    code, out, err = run(
        capsys, "tally", *pin(tiny), "--package", str(tiny.package), "--json", str(padded)
    )
    assert code == 1 and out == ""
    assert f"{padded}/protocol.json: line ballots_cast is 5, the bundle shows 4" in err
    # One vote more for asanov than there are ballots.
    extra = {
        "mayor": ContestResult({"asanov": 3, "bekova": 1, "against": 0}, 1),
        "council": ContestResult({"a": 2, "b": 1, "c": 1, "d": 1}, 1),
    }
    stuffed = make_bundle(
        tmp_path / "b",
        election,
        "P1",
        "T-1001",
        key,
        P1_BALLOTS,
        protocol_changes={"contests": extra},
    )
    code, _, err = run(capsys, "verify", *pin(tiny), "--package", str(tiny.package), str(stuffed))
    assert code == 1
    assert f"{stuffed}/protocol.json: contest mayor has more votes than ballots" in err


def test_test_and_official_never_mix(
    tiny: Office, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    election, key = tiny.created.election, tiny.terminals["T-1001"]
    test_protocol = make_bundle(
        tmp_path / "a", election, "P1", "T-1001", key, P1_BALLOTS, protocol_changes={"mode": "test"}
    )
    code, _, err = run(
        capsys, "verify", *pin(tiny), "--package", str(tiny.package), str(test_protocol)
    )
    assert code == 1
    assert f"{test_protocol}/protocol.json: is a test protocol in a official election" in err
    test_package = make_bundle(
        tmp_path / "b", election, "P1", "T-1001", key, P1_BALLOTS, loaded_mode=Mode.TEST
    )
    code, _, err = run(
        capsys, "verify", *pin(tiny), "--package", str(tiny.package), str(test_package)
    )
    assert code == 1
    assert f"{test_package}/events.jsonl: line 2: the terminal loaded a test package" in err


def test_a_bad_package_exits_2(
    tiny: Office, bundles: Bundles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "verify", *pin(tiny), "--package", str(tmp_path / "none"), str(bundles.p1)
    )
    assert code == 2 and "not an election package" in err
    package = shutil.copytree(tiny.package, tmp_path / "package")
    election = package / "election.json"
    election.write_bytes(election.read_bytes().replace(b'"voters":5', b'"voters":4'))
    code, _, err = run(capsys, "tally", *pin(tiny), "--package", str(package), str(bundles.p1))
    assert code == 2 and "election.json: signature does not verify" in err


def test_bundle_signatures_verify_with_openssl(bundles: Bundles) -> None:
    for sig in bundles.p1.rglob("*.sig"):
        openssl_verify(bundles.p1 / "terminal.pub.pem", sig)


# --- the pinned commission key ------------------------------------------------------------------


def openssl_fingerprint(public_key: Path) -> str:
    """The fingerprint as docs/verify-by-hand.md computes it, with the stock tools."""
    command = f"openssl pkey -pubin -in {public_key} -outform DER | tail -c 32 | sha256sum"
    result = subprocess.run(["sh", "-c", command], capture_output=True, text=True, check=True)
    return result.stdout


def forged_package(tiny: Office, root: Path) -> Path:
    """The tiny package with election.json re-signed by another key and that key's PEM in
    place of commission.pub.pem: every file in it is consistent with the key it carries."""
    package = shutil.copytree(tiny.package, root / "forged")
    forger = SigningKey.generate()
    forger.public.save(package / "commission.pub.pem")
    election = package / "election.json"
    (package / "election.json.sig").write_bytes(forger.sign(election.read_bytes()))
    return package


def test_the_pin_is_the_fingerprint_openssl_prints(
    tiny: Office, bundles: Bundles, capsys: pytest.CaptureFixture[str]
) -> None:
    printed = openssl_fingerprint(tiny.package / "commission.pub.pem")
    assert printed.split()[0] == tiny.commission.public.fingerprint()
    package = str(tiny.package)
    # What sha256sum prints, trailing " -" and newline included, is taken as it is.
    code, out, err = run(
        capsys, "verify", "--commission-key", printed, "--package", package, str(bundles.p1)
    )
    assert (code, err) == (0, "")
    assert f"Commission key SHA-256 fingerprint: {printed.split()[0]} (pinned)" in out
    code, _, _ = run(
        capsys,
        "tally",
        "--commission-key",
        printed.upper().split()[0],
        "--package",
        package,
        str(bundles.p1),
    )
    assert code == 0


def test_verify_tally_recount_refuse_to_run_without_a_pin(
    tiny: Office, bundles: Bundles, capsys: pytest.CaptureFixture[str]
) -> None:
    card = str(tiny.card("P1", 1))
    for command in (["verify"], ["tally", "--json"], ["recount", "--shares", card, card]):
        code, out, err = run(capsys, *command, "--package", str(tiny.package), str(bundles.p1))
        assert code == 2 and out == "", command
        assert "no commission key pinned: give --commission-key FINGERPRINT" in err, command


def test_a_package_with_a_swapped_commission_key_is_refused(
    tiny: Office, bundles: Bundles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before pinning, `verify` trusted the key the package carried: this forgery verified
    with exit status 0. Pinned to the commission's key, every command stops."""
    forged = forged_package(tiny, tmp_path)
    forged_fingerprint = openssl_fingerprint(forged / "commission.pub.pem").split()[0]
    # The forgery is self-consistent: pinned to the forger's own key it loads.
    code, _, _ = run(
        capsys,
        "verify",
        "--commission-key",
        forged_fingerprint,
        "--package",
        str(forged),
        str(bundles.p1),
    )
    assert code == 0
    card = str(tiny.card("P1", 1))
    for command in (["verify"], ["tally"], ["recount", "--shares", card, card]):
        code, out, err = run(
            capsys, *command, *pin(tiny), "--package", str(forged), str(bundles.p1)
        )
        assert code == 2 and "OK" not in out, command
        assert f"the package's commission key has fingerprint {forged_fingerprint}" in err
        assert f"not the pinned {tiny.commission.public.fingerprint()}" in err


def test_the_pin_may_come_from_a_config_file_named_on_the_command_line(
    tiny: Office, bundles: Bundles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "host.toml"
    fingerprint = tiny.commission.public.fingerprint()
    config.write_text(f'# the key the commission published\ncommission_key = "{fingerprint}"\n')
    package = str(tiny.package)
    code, _, err = run(
        capsys, "verify", "--config", str(config), "--package", package, str(bundles.p1)
    )
    assert (code, err) == (0, "")
    code, _, err = run(
        capsys,
        "verify",
        "--config",
        str(config),
        "--package",
        str(forged_package(tiny, tmp_path)),
        str(bundles.p1),
    )
    assert code == 2 and "not the pinned" in err
    bad_configs = {
        "missing.toml": None,
        "empty.toml": "",
        "short.toml": 'commission_key = "abc123"',
        "broken.toml": "commission_key = ",
        "number.toml": "commission_key = 5",
        "binary.toml": b"\xff\xfe",
        "huge.toml": "#" * 100_000,
    }
    expected = {
        "missing.toml": "cannot read it",
        "empty.toml": 'no commission_key = "FINGERPRINT" line',
        "short.toml": "is not a key fingerprint",
        "broken.toml": "not a TOML file",
        "number.toml": 'no commission_key = "FINGERPRINT" line',
        "binary.toml": "not a TOML file",
        "huge.toml": "larger than 65536 bytes",
    }
    for name, content in bad_configs.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif content is not None:
            path.write_text(content)
        code, out, err = run(
            capsys, "verify", "--config", str(path), "--package", package, str(bundles.p1)
        )
        assert code == 2 and out == "", name
        assert f"--config {path}" in err and expected[name] in err, (name, err)


def test_a_malformed_pin_is_refused_with_what_to_give(
    tiny: Office, bundles: Bundles, capsys: pytest.CaptureFixture[str]
) -> None:
    fingerprint = tiny.commission.public.fingerprint()
    for bad in ("", "zz", fingerprint[:-1], fingerprint + "0", "sha256:" + fingerprint):
        code, _, err = run(
            capsys,
            "verify",
            "--commission-key",
            bad,
            "--package",
            str(tiny.package),
            str(bundles.p1),
        )
        assert code == 2, bad
        assert "is not a key fingerprint: give the 64 hex digits" in err, bad
    with pytest.raises(SystemExit):  # both at once: argparse says they exclude each other
        main(
            ["verify", "--commission-key", fingerprint, "--config", "x.toml", "--package", "p", "b"]
        )
    assert "not allowed with argument" in capsys.readouterr().err


# --- a forger holding a terminal's key ----------------------------------------------------------


def resigned(bundle: Path, directory: Path, signer: SigningKey, **changes: bytes) -> Path:
    """`bundle` with some files replaced, their signatures and the manifest made again with
    the terminal's key: what a thief of that key can do without touching the log."""
    manifest = json.loads((bundle / "manifest.json").read_bytes())
    files = {name: (bundle / name).read_bytes() for name in manifest["files"]}
    for name, data in changes.items():
        files[name] = data
        if name + ".sig" in files:
            files[name + ".sig"] = signer.sign(data)
    ids = {key: manifest[key] for key in ("election", "precinct", "terminal")}
    write_bundle(directory, files, signer, ids)
    return directory


def test_a_protocol_re_signed_with_moved_votes_is_refused(
    tiny: Office, bundles: Bundles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before, the moved votes verified with exit 0: every count still adds up. The log the
    export checkpoint signs names the hash of the protocol signed at the count."""
    protocol = json.loads((bundles.p1 / "protocol.json").read_bytes())
    mayor = protocol["contests"]["mayor"]["votes"]
    mayor["asanov"], mayor["bekova"] = mayor["asanov"] - 1, mayor["bekova"] + 1
    key = tiny.terminals["T-1001"]
    forged = resigned(
        bundles.p1, tmp_path / "forged", key, **{"protocol.json": canonical_json(protocol)}
    )
    for command in ("verify", "tally"):
        code, out, err = run(
            capsys, command, *pin(tiny), "--package", str(tiny.package), str(forged)
        )
        assert code == 1 and "OK" not in out, command
        assert (
            f"FAIL {forged}/protocol.json: is not the protocol the terminal logged signing" in err
        )


def test_records_past_the_export_checkpoint_are_refused(
    tiny: Office, bundles: Bundles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before, the last record of the exported log was pinned by the manifest alone."""
    events = (bundles.p1 / "events.jsonl").read_bytes()
    lines = events.splitlines()
    last = json.loads(lines[-1])
    extra = record_line(
        last["seq"] + 1,
        last["time"],
        last["clock"],
        "bundle_exported",
        {},
        hashlib.sha256(lines[-1]).hexdigest(),
    )
    key = tiny.terminals["T-1001"]
    forged = resigned(
        bundles.p1, tmp_path / "longer", key, **{"events.jsonl": events + extra + b"\n"}
    )
    code, _, err = run(capsys, "verify", *pin(tiny), "--package", str(tiny.package), str(forged))
    assert code == 1
    count = len(lines)
    expected = f"holds {count + 1} records, the signed export checkpoint covers {count}"
    assert f"{forged}/events.jsonl: {expected}" in err


# --- hostile bundles and packages ---------------------------------------------------------------


def host_tools(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The host tools as a process of their own, its address space capped at 2 GiB: an
    unbounded read (before, of /dev/zero) ends in a MemoryError instead of eating the host."""

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run(
        [sys.executable, "-m", "host_tools", *argv],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=cap_memory,
        check=False,
    )


def _replace_with(path: Path, kind: str, target: Path | None = None) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 5))  # what /dev/zero is
    else:
        assert target is not None
        path.symlink_to(target, target_is_directory=target.is_dir())


@pytest.mark.parametrize(
    ("name", "kind", "problem"),
    [
        ("manifest.json", "fifo", "is a named pipe (FIFO), not a regular file: refused"),
        ("manifest.json", "zero", "is a symbolic link, not a regular file: refused"),
        ("events.jsonl", "zero", "is a symbolic link, not a file of a bundle: refused"),
        ("ballots.bin", "fifo", "is a named pipe (FIFO), not a file of a bundle: refused"),
        ("checkpoints", "dir-link", "is a symbolic link, not a file of a bundle: refused"),
        ("protocol.json.sig", "device", "is a device file, not a file of a bundle: refused"),
    ],
)
def test_links_fifos_and_devices_in_a_bundle_are_refused_naming_them(
    tiny: Office, bundles: Bundles, tmp_path: Path, name: str, kind: str, problem: str
) -> None:
    """Before, a FIFO manifest hung the batch, a link to /dev/zero ended in a MemoryError
    and a linked directory of checkpoints verified."""
    bundle = shutil.copytree(bundles.p1, tmp_path / "hostile")
    if kind == "dir-link":
        shutil.copytree(bundle / name, tmp_path / "elsewhere")
        _replace_with(bundle / name, "link", tmp_path / "elsewhere")
    elif kind == "zero":
        _replace_with(bundle / name, "link", Path("/dev/zero"))
    else:
        _replace_with(bundle / name, kind)
    result = host_tools("verify", *pin(tiny), "--package", str(tiny.package), str(bundle))
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"FAIL {bundle}/{name}: {problem}" in result.stderr
    assert "Traceback" not in result.stderr


def test_stray_directories_and_oversized_files_are_refused_naming_them(
    tiny: Office, bundles: Bundles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    package = str(tiny.package)
    bundle = shutil.copytree(bundles.p1, tmp_path / "stray")
    (bundle / "spare").mkdir()
    code, _, err = run(capsys, "verify", *pin(tiny), "--package", package, str(bundle))
    assert code == 1
    assert f"FAIL {bundle}/spare: a directory the signed manifest does not list: refused" in err

    # ballots.bin can hold at most the precinct's slots: one more record is refused unread.
    slots = tiny.created.election.precinct("P1").ballot_slots  # type: ignore[union-attr]
    bundle = shutil.copytree(bundles.p1, tmp_path / "big")
    (bundle / "ballots.bin").write_bytes(bytes(slots * MAX_RECORD_SIZE + RECORD_SIZE))
    code, _, err = run(capsys, "verify", *pin(tiny), "--package", package, str(bundle))
    cap = slots * MAX_RECORD_SIZE
    assert code == 1
    assert f"is {cap + RECORD_SIZE} bytes, larger than its format allows ({cap})" in err
    assert f"FAIL {bundle}/ballots.bin: is" in err

    bundle = shutil.copytree(bundles.p1, tmp_path / "long-sig")
    (bundle / "manifest.json.sig").write_bytes(bytes(65))
    code, _, err = run(capsys, "verify", *pin(tiny), "--package", package, str(bundle))
    assert code == 1 and f"FAIL {bundle}/manifest.json.sig: is 65 bytes, larger than" in err

    linked = tmp_path / "linked-bundle"
    linked.symlink_to(bundles.p1, target_is_directory=True)
    code, _, err = run(capsys, "verify", *pin(tiny), "--package", package, str(linked))
    assert code == 1 and f"{linked}: is a symbolic link, not a directory: refused" in err


def test_the_manifest_signature_is_checked_before_anything_it_lists(
    tiny: Office, bundles: Bundles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A forged manifest listing a FIFO: refused for its signature, the FIFO never opened."""
    bundle = shutil.copytree(bundles.p1, tmp_path / "forged")
    manifest = json.loads((bundle / "manifest.json").read_bytes())
    manifest["files"]["trap"] = "0" * 64
    (bundle / "manifest.json").write_bytes(canonical_json(manifest))
    os.mkfifo(bundle / "trap")
    code, _, err = run(capsys, "verify", *pin(tiny), "--package", str(tiny.package), str(bundle))
    assert code == 1
    assert f"FAIL {bundle}/manifest.json: signature does not verify" in err


@pytest.mark.parametrize(
    ("name", "kind"),
    [("commission.pub.pem", "fifo"), ("election.json", "zero"), ("election.json.sig", "fifo")],
)
def test_a_package_holding_links_or_fifos_is_refused(
    tiny: Office, bundles: Bundles, tmp_path: Path, name: str, kind: str
) -> None:
    package = shutil.copytree(tiny.package, tmp_path / "package")
    if kind == "zero":
        _replace_with(package / name, "link", Path("/dev/zero"))
    else:
        _replace_with(package / name, kind)
    result = host_tools("verify", *pin(tiny), "--package", str(package), str(bundles.p1))
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{package}/{name}: is a " in result.stderr and "refused" in result.stderr
    assert "Traceback" not in result.stderr


# --- each signed artifact says what it is -------------------------------------------------------


def closing_as_export(bundle: Path, directory: Path, signer: SigningKey) -> Path:
    """`bundle` with its closing checkpoint (and its valid signature) in place of the export
    one, the manifest signed again: every signature verifies, only the kind is wrong."""
    close = (bundle / "checkpoints" / "close.txt").read_bytes()
    forged = resigned(bundle, directory, signer, **{"checkpoints/export.txt": close})
    assert (forged / "checkpoints" / "export.txt.sig").read_bytes() == signer.sign(close)
    return forged


def test_a_closing_checkpoint_presented_as_the_export_one_is_refused(
    tiny: Office, bundles: Bundles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    forged = closing_as_export(bundles.p1, tmp_path / "forged", tiny.terminals["T-1001"])
    code, _, err = run(capsys, "verify", *pin(tiny), "--package", str(tiny.package), str(forged))
    assert code == 1
    assert f"{forged}/checkpoints/export.txt: is the close checkpoint, not the export one" in err


VERIFY_BUNDLE = Path(__file__).resolve().parent.parent / "scripts" / "verify-bundle.sh"


def by_hand(bundle: Path, key: Path) -> subprocess.CompletedProcess[str]:
    """docs/verify-by-hand.md, section 2: stock tools only."""
    return subprocess.run(
        ["sh", str(VERIFY_BUNDLE), str(bundle), str(key)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_documented_commands_verify_a_bundle_and_refuse_forgeries(
    tiny: Office, bundles: Bundles, tmp_path: Path
) -> None:
    key = tiny.package / "terminals" / "T-1001.pub.pem"
    result = by_hand(bundles.p1, key)
    assert result.returncode == 0, result.stderr
    assert "ballots: 4 sealed ballot records, as committed and counted" in result.stdout
    signer = tiny.terminals["T-1001"]

    protocol = json.loads((bundles.p1 / "protocol.json").read_bytes())
    mayor = protocol["contests"]["mayor"]["votes"]
    mayor["asanov"], mayor["bekova"] = mayor["asanov"] - 1, mayor["bekova"] + 1
    moved = resigned(
        bundles.p1, tmp_path / "moved", signer, **{"protocol.json": canonical_json(protocol)}
    )
    events = (bundles.p1 / "events.jsonl").read_bytes()
    last = events.splitlines()[-1]
    extra = record_line(
        json.loads(last)["seq"] + 1, "2025-11-30T20:00:00.000000Z", "manual", "bundle_exported", {},
        hashlib.sha256(last).hexdigest(),
    )  # fmt: skip
    longer = resigned(
        bundles.p1, tmp_path / "longer", signer, **{"events.jsonl": events + extra + b"\n"}
    )
    linked = shutil.copytree(bundles.p1, tmp_path / "linked")
    (linked / "terminal.pub.pem").unlink()
    (linked / "terminal.pub.pem").symlink_to(key)
    forgeries = {
        moved: "protocol.json: not the protocol the log records signing",
        longer: "the export checkpoint covers",
        closing_as_export(
            bundles.p1, tmp_path / "kind", signer
        ): "checkpoints/export.txt: not the export checkpoint",
        linked: "links, pipes or device files: ./terminal.pub.pem",
    }
    for bundle, problem in forgeries.items():
        result = by_hand(bundle, key)
        assert result.returncode == 1, (bundle, result.stdout)
        assert problem in result.stderr, (bundle, result.stderr)

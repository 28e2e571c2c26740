"""Format-2 bundles: anyone checks every ballot's proofs and the count, with no share card.

The bundles are made as a terminal would make them (tests/bundle_factory.py); the bent
ones are what a dishonest terminal could export, signed with its own key: a signature does
not make a false proof true.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from host_tools import commission as office
from host_tools.__main__ import main
from host_tools.proofs import PoolChecker
from terminal.tally import elgamal
from terminal.tally.decryption import BallotProofError, check_ballots
from terminal.tally.encrypted_ballot import OPTION_SIZE, layouts
from terminal.tally.sealing import HEADER_2, Ballot, ballot_body, context, seal_for
from terminal.trust.shares import ShareCollector
from terminal.trust.signing import SIGNATURE_SIZE, SigningKey
from tests import independent_verifier
from tests.bundle_factory import make_bundle
from tests.test_host_tools import P1_BALLOTS, P2_BALLOTS, PRECINCTS, registrations, spec

Records = list[bytes]


@dataclasses.dataclass(frozen=True)
class Verifiable:
    root: Path
    created: office.CreatedElection
    fingerprint: str
    terminals: dict[str, SigningKey]
    keys: dict[str, bytes]  # precinct -> sealing private key, rebuilt from two cards

    @property
    def package(self) -> Path:
        return self.root / office.PACKAGE_DIR

    def bundle(self, path: Path, precinct: str = "P1", **bend: object) -> Path:
        terminal = "T-1001" if precinct == "P1" else "T-2002"
        ballots = P1_BALLOTS if precinct == "P1" else P2_BALLOTS
        return make_bundle(
            path,
            self.created.election,
            precinct,
            terminal,
            self.terminals[terminal],
            ballots,
            private_key=self.keys[precinct],
            **bend,  # type: ignore[arg-type]
        )


def _rebuild(created: office.CreatedElection, code: str) -> bytes:
    precinct = created.election.precinct(code)
    assert precinct is not None
    collector = ShareCollector(created.election.id, code, precinct.sealing_key)
    result = None
    for card in created.secrets[code].share_cards[:2]:
        result = collector.add(card.payload())
    assert isinstance(result, bytes)
    return result


@pytest.fixture(scope="module")
def v2(tmp_path_factory: pytest.TempPathFactory) -> Verifiable:
    root = tmp_path_factory.mktemp("v2")
    terminals = {tid: SigningKey.generate() for tid in ("T-1001", "T-2001", "T-2002")}
    the_spec = dataclasses.replace(spec(), ballot_format=2)
    created = office.build_election(the_spec, PRECINCTS, 2, 3, registrations(terminals))
    key = office.create_commission_key(root / office.COMMISSION_KEY_FILE)
    office.write_commission_outputs(root, created, key)
    keys = {code: _rebuild(created, code) for code in ("P1", "P2")}
    return Verifiable(root, created, key.public.fingerprint(), terminals, keys)


def _resign(signer: SigningKey, change: Callable[[bytes], bytes]) -> Callable[[Records], Records]:
    """Change the first record's sealed bytes and sign them again with the terminal's key."""

    def bend(records: Records) -> Records:
        first = records[0][:-SIGNATURE_SIZE]
        changed = change(first)
        return [changed + signer.sign(changed), *records[1:]]

    return bend


def test_an_honest_format_2_bundle_verifies_with_every_proof(
    v2: Verifiable, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p1 = v2.bundle(tmp_path / "p1")
    p2 = v2.bundle(tmp_path / "p2", "P2")
    # P2 has a desk too: the host verifies a precinct only with every terminal's bundle.
    desk = make_bundle(
        tmp_path / "p2-desk", v2.created.election, "P2", "T-2001", v2.terminals["T-2001"], [],
        coupons=len(P2_BALLOTS),
    )  # fmt: skip
    pinned = ["--commission-key", v2.fingerprint, "--package", str(v2.package)]
    assert main(["verify", *pinned, str(p1), str(p2), str(desk)]) == 0
    out = capsys.readouterr().out
    assert out.count("every ballot proof and decryption proof verifies") == 2, out
    proofs = json.loads((p1 / "decryption.json").read_bytes())
    assert proofs["contests"]["mayor"]["asanov"]["count"] == 2
    assert proofs["contests"]["mayor"]["(blank)"]["count"] == 1
    assert proofs["contests"]["council"]["a"]["count"] == 2
    # The tally's totals are the proven decryptions.
    assert main(["tally", *pinned, "--json", str(p1), str(p2), str(desk)]) == 0
    totals = json.loads(capsys.readouterr().out)["contests"]
    assert totals["mayor"] == {"asanov": 2, "bekova": 3, "against": 1}


def test_a_recount_with_cards_agrees(
    v2: Verifiable, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    p1 = v2.bundle(tmp_path / "p1")
    cards = []
    for i, card in enumerate(v2.created.secrets["P1"].share_cards[:2]):
        path = tmp_path / f"card{i}.txt"
        path.write_text(card.payload())
        cards.append(str(path))
    pinned = ["--commission-key", v2.fingerprint, "--package", str(v2.package)]
    assert main(["verify", *pinned, "--shares", *cards, str(p1)]) == 0
    assert "recount matches the protocol" in capsys.readouterr().out


def _bit_positions(v2: Verifiable) -> dict[str, int]:
    """One byte in each kind of part of the first contest's first option and its limits."""
    layout = layouts(v2.created.election)[0]
    head = len(HEADER_2)
    sum_proof = head + len(layout.options) * OPTION_SIZE
    return {
        "ciphertext A": head + 3,
        "ciphertext B": head + 32 + 3,
        "0/1 proof challenge": head + 64 + 5,
        "0/1 proof response": head + 64 + 32 + 5,
        "limits proof": sum_proof + 7,
    }


@pytest.mark.parametrize(
    "part",
    ["ciphertext A", "ciphertext B", "0/1 proof challenge", "0/1 proof response", "limits proof"],
)
def test_one_bit_changed_in_a_ballot_is_refused_naming_it(
    v2: Verifiable, tmp_path: Path, part: str, capsys: pytest.CaptureFixture[str]
) -> None:
    at = _bit_positions(v2)[part]
    signer = v2.terminals["T-1001"]

    def flip(sealed: bytes) -> bytes:
        return sealed[:at] + bytes([sealed[at] ^ 0x01]) + sealed[at + 1 :]

    bent = v2.bundle(tmp_path / "bent", bend_records=_resign(signer, flip))
    pinned = ["--commission-key", v2.fingerprint, "--package", str(v2.package)]
    assert main(["verify", *pinned, str(bent)]) != 0
    out = capsys.readouterr()
    text = out.out + out.err
    assert "ballots.bin: ballot " in text and "contest mayor" in text, text


def test_a_small_order_component_is_refused(
    v2: Verifiable, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    head = len(HEADER_2)

    def poison(sealed: bytes) -> bytes:
        a = sealed[head : head + 32]
        return sealed[:head] + elgamal.add(a, elgamal.SMALL_ORDER_POINTS[0]) + sealed[head + 32 :]

    bent = v2.bundle(tmp_path / "bent", bend_records=_resign(v2.terminals["T-1001"], poison))
    pinned = ["--commission-key", v2.fingerprint, "--package", str(v2.package)]
    assert main(["verify", *pinned, str(bent)]) != 0
    out = capsys.readouterr()
    assert "small-order" in out.out + out.err


def test_a_valid_ballot_of_another_statement_is_refused(
    v2: Verifiable, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ballot proven for precinct P2 (another key and precinct), or for another election,
    put in P1's bundle and signed by P1's terminal: its proofs are valid, for another
    statement."""
    election = v2.created.election
    signer = v2.terminals["T-1001"]
    p2 = election.precinct("P2")
    assert p2 is not None
    selections = {"mayor": ("asanov",), "council": ("a",)}
    other_precinct = seal_for(Ballot(election.id, "P2", False, selections), election, p2, signer)
    renamed = dataclasses.replace(election, id="KG-OTHER")
    other_election = seal_for(Ballot("KG-OTHER", "P2", False, selections), renamed, p2, signer)
    pinned = ["--commission-key", v2.fingerprint, "--package", str(v2.package)]
    for name, foreign in (("precinct", other_precinct), ("election", other_election)):
        bent = v2.bundle(tmp_path / name, bend_records=lambda r, f=foreign: [f, *r[1:]])
        assert main(["verify", *pinned, str(bent)]) != 0
        out = capsys.readouterr()
        assert "does not verify" in out.out + out.err, name


def _bend_json(change: Callable[[dict[str, object]], None]) -> Callable[[bytes], bytes]:
    def bend(data: bytes) -> bytes:
        value = json.loads(data)
        change(value)
        return json.dumps(value, sort_keys=True, separators=(",", ":")).encode() + b"\n"

    return bend


def _flip_hex(text: str, index: int) -> str:
    raw = bytearray(bytes.fromhex(text))
    raw[index] ^= 0x01
    return raw.hex()


@pytest.mark.parametrize("part", ["proof", "aggregate", "count"])
def test_a_changed_decryption_is_refused_naming_the_contest(
    v2: Verifiable, tmp_path: Path, part: str, capsys: pytest.CaptureFixture[str]
) -> None:
    def change(value: dict[str, object]) -> None:
        option = value["contests"]["council"]["b"]  # type: ignore[index]
        if part == "count":
            option["count"] += 1
        else:
            option[part] = _flip_hex(option[part], 40)

    bent = v2.bundle(tmp_path / "bent", bend_decryption=_bend_json(change))
    pinned = ["--commission-key", v2.fingerprint, "--package", str(v2.package)]
    assert main(["verify", *pinned, str(bent)]) != 0
    out = capsys.readouterr()
    text = out.out + out.err
    assert "decryption.json" in text and "contest council, option b" in text, text


def test_the_pool_names_the_same_ballot_as_one_process(v2: Verifiable) -> None:
    """The host's workers check runs of the sorted records: a bad ballot deep in a bundle
    is named by its index among all of them."""
    election = v2.created.election
    precinct = election.precinct("P1")
    assert precinct is not None
    signer = v2.terminals["T-1001"]
    ctx = context(election, precinct)
    ballot = Ballot(election.id, "P1", False, {"mayor": ("bekova",), "council": ("c", "d")})
    bodies = [ballot_body(seal_for(ballot, election, precinct, signer)) for _ in range(12)]
    bad = bytearray(bodies[9])
    bad[100] ^= 1
    bodies[9] = bytes(bad)
    with pytest.raises(BallotProofError) as serial:
        check_ballots(bodies, election, ctx)
    with PoolChecker(workers=2, serial_below=4) as pool, pytest.raises(BallotProofError) as pooled:
        pool(bodies, election, ctx)
    assert serial.value.index == pooled.value.index == 9
    assert str(serial.value) == str(pooled.value)
    good = bodies[:9]
    with PoolChecker(workers=2, serial_below=4) as pool:
        assert pool(good, election, ctx) == check_ballots(good, election, ctx)


def test_an_independent_verifier_from_the_document_agrees(v2: Verifiable, tmp_path: Path) -> None:
    """tests/independent_verifier.py, written from docs/verifiable-ballots.md with no code of
    terminal/, accepts the honest bundle with the same counts and refuses bent ones."""
    honest = v2.bundle(tmp_path / "p1")
    counts = independent_verifier.verify(v2.package, honest)
    assert counts["mayor"] == {"asanov": 2, "bekova": 1, "against": 0, "(blank)": 1}
    assert counts["council"]["a"] == 2 and counts["council"]["(blank)"] == 1
    at = _bit_positions(v2)["0/1 proof response"]

    def flip(sealed: bytes) -> bytes:
        return sealed[:at] + bytes([sealed[at] ^ 0x01]) + sealed[at + 1 :]

    head = len(HEADER_2)

    def poison(sealed: bytes) -> bytes:
        a = sealed[head : head + 32]
        return sealed[:head] + elgamal.add(a, elgamal.SMALL_ORDER_POINTS[0]) + sealed[head + 32 :]

    signer = v2.terminals["T-1001"]
    for name, change, message in (
        ("flipped", flip, "does not verify"),
        ("poisoned", poison, "small-order component"),
    ):
        bent = v2.bundle(tmp_path / name, bend_records=_resign(signer, change))
        with pytest.raises(independent_verifier.Refused, match=message):
            independent_verifier.verify(v2.package, bent)

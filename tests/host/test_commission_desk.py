"""The commission's steps before election day, run as a user runs them: `election create`,
`election keys`, `terminals register`, `election sign`; and every way they are refused."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import shutil
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from host_tools.__main__ import main
from host_tools.pinning import load_pinned_package
from host_tools.verify import rebuild_keys
from sim import synthetic
from terminal.app.identity import load_identity, provision
from terminal.ballot.election import TerritoryKind
from terminal.ballot.package import Package
from terminal.trust.sealed_store import DeviceSealer
from terminal.trust.signing import VerifyKey
from tests.bundle_factory import make_bundle

PHRASE = "correct horse battery staple"
# The terminals' device key (on a Pi: OTP memory); the host never sees it.
DEVICE = DeviceSealer(bytes(range(32)))
DEFINITION = """\
format = "tamga-definition/1"
id = "KG-20270411-TEST"
kind = "local_council"
country = "KG"
date = 2027-04-11
timezone = "+06:00"
polls_open = "08:00"
polls_close = "20:00"
mode = "test"
names = { ky = "Сыноо шайлоосу", ru = "Тестовые выборы", en = "Test election" }
keys = { threshold = 2, members = 3 }

[[contests]]
id = "council"
kind = "one_of"
titles = { ru = "Совет", en = "Council" }
choices = [
  { id = "a", names = { ru = "А", en = "A" }, ballot_number = 1 },
  { id = "b", names = { ru = "Б", en = "B" }, ballot_number = 2 },
]

[[regions]]
id = "R-1"
names = { ru = "Область" }

[[districts]]
id = "D-1"
region = "R-1"
names = { ru = "Район 1" }

[[districts]]
id = "D-2"
region = "R-1"
names = { ru = "Район 2" }

[[precincts]]
code = "P-1"
number = "101"
district = "D-1"
names = { ru = "Участок 101" }
premises = { ru = "Школа" }
address = "Село, ул. Первая, 1"
voters_on_list = 4
register = "synthetic"
terminals = [{ id = "T-1", role = "combined" }]

[[precincts]]
code = "P-2"
number = "201"
district = "D-2"
names = { ru = "Участок 201" }
premises = { ru = "Клуб" }
address = "Село, ул. Вторая, 2"
new = true
voters_on_list = 3
register = "synthetic"
terminals = [{ id = "T-2", role = "combined" }]
"""


@dataclass(frozen=True)
class Desk:
    root: Path
    election: Path
    cards: Path
    terminals: dict[str, Path]
    phrase: Path
    fingerprint: str


def run(*argv: str | Path) -> int:
    return main([str(a) for a in argv])


def signed_from(definition: Path, originals: Path) -> tuple[Path, Package]:
    """The election of `definition` (beside it, in `el`) created, then `originals` (the
    files the definition names) deleted, the election directory holding its copies, then
    the keys made, both terminals registered and the package signed: the package, pinned."""
    root = definition.parent
    phrase = root / "phrase.txt"
    phrase.write_text(PHRASE + "\n")
    election, common = root / "el", ("--passphrase-file", phrase)
    assert run("election", "create", "--definition", definition, "--out", election, *common) == 0
    shutil.rmtree(originals)
    assert run("election", "keys", "--election", election, "--cards-dir", root / "c", *common) == 0
    for terminal in ("T-1", "T-2"):
        provision(root / terminal, terminal, (election / "commission.pub.pem").read_bytes(), DEVICE)
    terminals = (root / "T-1", root / "T-2")
    assert run("terminals", "register", "--election", election, *terminals, *common) == 0
    assert run("election", "sign", "--election", election, *common) == 0
    fingerprint = VerifyKey.load(election / "commission.pub.pem").fingerprint()
    return election, load_pinned_package(election / "package", fingerprint)


def refused_at_create(definition: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """What `election create` says, refusing `definition` (exit 2, nothing made)."""
    phrase = definition.parent / "phrase.txt"
    phrase.write_text(PHRASE + "\n")
    out = definition.parent / "el"
    status = run(
        "election", "create", "--definition", definition, "--out", out, "--passphrase-file", phrase
    )
    err = capsys.readouterr().err
    assert status == 2, err
    assert str(definition) in err  # the file, and the line where the parser gives one
    assert not out.exists()  # nothing made
    return err


def cli(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    repo = Path(__file__).resolve().parents[2]
    return subprocess.run(
        [str(repo / ".venv" / "bin" / "python"), "-m", "host_tools", *map(str, argv)],
        capture_output=True,
        text=True,
        cwd=repo,
        check=False,
    )


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Desk:
    root = tmp_path_factory.mktemp("desk")
    (root / "def.toml").write_text(DEFINITION, encoding="utf-8")
    phrase = root / "phrase.txt"
    phrase.write_text(PHRASE + "\n")
    election, cards = root / "el", root / "cards"
    common = ("--passphrase-file", phrase)
    assert (
        run("election", "create", "--definition", root / "def.toml", "--out", election, *common)
        == 0
    )
    assert run("election", "keys", "--election", election, "--cards-dir", cards, *common) == 0
    terminals = {}
    for terminal in ("T-1", "T-2"):
        terminals[terminal] = root / terminal
        pem = (election / "commission.pub.pem").read_bytes()
        provision(terminals[terminal], terminal, pem, DEVICE)
    assert run("terminals", "register", "--election", election, *terminals.values(), *common) == 0
    assert run("election", "sign", "--election", election, *common) == 0
    fingerprint = VerifyKey.load(election / "commission.pub.pem").fingerprint()
    return Desk(root, election, cards, terminals, phrase, fingerprint)


def files_under(root: Path) -> Iterator[Path]:
    return (p for p in sorted(root.rglob("*")) if p.is_file())


def test_the_package_is_what_a_terminal_accepts(desk: Desk) -> None:
    package = load_pinned_package(desk.election / "package", desk.fingerprint)
    election = package.election
    assert [t.kind for t in election.territories] == [TerritoryKind.REGION] + [
        TerritoryKind.DISTRICT
    ] * 2
    assert [(p.number, p.territory, p.new) for p in election.precincts] == [
        ("101", "D-1", False),
        ("201", "D-2", True),
    ]
    for terminal, data in desk.terminals.items():
        identity = load_identity(data, DEVICE)
        entry = election.terminal(terminal)
        assert entry is not None
        keys = package.keys(terminal, identity.decryption)
        register = package.register(entry.precinct, keys)
        precinct = election.precinct(entry.precinct)
        assert precinct is not None and len(register.voters) == precinct.voters_on_list


def test_every_card_is_a_private_pdf_png_and_payload_and_the_key_is_nowhere_else(
    desk: Desk,
) -> None:
    names = sorted(p.name for p in desk.cards.iterdir())
    # 2 precincts x (3 share cards x (png, pdf, txt) + chair png, pdf + PIN letter)
    assert len(names) == 2 * (9 + 3)
    assert "P-1-share-1-of-3.pdf" in names and "P-2-chair-pin.txt" in names
    assert stat.S_IMODE(desk.cards.stat().st_mode) == 0o700
    for path in files_under(desk.cards):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        if path.suffix == ".pdf":
            assert path.read_bytes().startswith(b"%PDF-")
    package = load_pinned_package(desk.election / "package", desk.fingerprint)
    cards = [desk.cards / f"P-{p}-share-{m}-of-3.txt" for p in (1, 2) for m in (1, 3)]
    keys = rebuild_keys(package, cards)
    assert set(keys) == {"P-1", "P-2"}
    secrets = [c.read_text().strip().encode() for c in cards] + list(keys.values())
    for path in files_under(desk.root):
        if desk.cards in path.parents:
            continue
        data = path.read_bytes()
        for secret in secrets:
            assert secret not in data and secret.hex().encode() not in data, path


def test_printed_share_cards_scan_back_to_their_payload(desk: Desk) -> None:
    png = desk.cards / "P-2-share-3-of-3.png"
    scanned = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert scanned == (desk.cards / "P-2-share-3-of-3.txt").read_text().strip()


def test_the_commission_key_is_encrypted_and_the_signature_verifies_with_openssl(
    desk: Desk,
) -> None:
    key = desk.election / "commission.key.pem"
    assert key.read_text().startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    opened = subprocess.run(
        ["openssl", "pkey", "-in", str(key), "-passin", f"file:{desk.phrase}", "-noout"],
        capture_output=True,
        check=False,
    )
    assert opened.returncode == 0, opened.stderr
    wrong = subprocess.run(
        ["openssl", "pkey", "-in", str(key), "-passin", "pass:wrong phrase!", "-noout"],
        capture_output=True,
        check=False,
    )
    assert wrong.returncode != 0
    package = desk.election / "package"
    verified = subprocess.run(
        ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(package / "commission.pub.pem"),
         "-rawin", "-in", str(package / "election.json"),
         "-sigfile", str(package / "election.json.sig")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert "Signature Verified Successfully" in verified.stdout, verified


def refused(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr and "error" in result.stderr, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


@pytest.fixture
def inproc(capsys: pytest.CaptureFixture[str]) -> object:
    """Run a command in this process (a new interpreter per command is seconds each)."""

    def call(*argv: str | Path) -> subprocess.CompletedProcess[str]:
        capsys.readouterr()
        try:
            status = run(*argv)
        except SystemExit as stop:
            status = int(stop.code or 0)
        out = capsys.readouterr()
        return subprocess.CompletedProcess(list(map(str, argv)), status, out.out, out.err)

    return call


def test_cards_are_never_written_inside_the_election_directory(
    desk: Desk, tmp_path: Path, inproc: Any
) -> None:
    cli = inproc
    root = tmp_path / "el"
    assert cli("election", "create", "--definition", desk.root / "def.toml", "--out", root,
               "--passphrase-file", desk.phrase).returncode == 0  # fmt: skip
    for inside in (root / "cards", root, root / "registers" / "x"):
        result = cli("election", "keys", "--election", root, "--cards-dir", inside,
                     "--passphrase-file", desk.phrase)  # fmt: skip
        refused(result, "inside the election directory")
    assert not (root / "election.json").exists() and not (root / "cards").exists()


def test_bad_steps_are_refused_with_a_message_and_change_nothing(
    desk: Desk, tmp_path: Path, inproc: Any
) -> None:
    cli = inproc
    el, phrase = desk.election, ("--passphrase-file", desk.phrase)
    before = {p: p.read_bytes() for p in files_under(el)}
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the passphrase at all\n")
    refused(cli("election", "sign", "--election", el, "--passphrase-file", wrong), "passphrase")
    refused(cli("election", "sign", "--election", el, "--passphrase-file", tmp_path / "none"),
            "cannot read")  # fmt: skip
    refused(cli("election", "keys", "--election", el, "--cards-dir", tmp_path / "c", *phrase),
            "keys were made already")  # fmt: skip
    refused(cli("terminals", "register", "--election", el, desk.terminals["T-1"], *phrase),
            "registered already")  # fmt: skip
    stranger = tmp_path / "T-9"
    provision(stranger, "T-9", (el / "commission.pub.pem").read_bytes(), DEVICE)
    refused(cli("terminals", "register", "--election", el, stranger, *phrase), "not planned")
    refused(cli("terminals", "register", "--election", el, tmp_path, *phrase),
            "not a provisioned terminal")  # fmt: skip
    refused(cli("election", "sign", "--election", tmp_path, *phrase), "not an election directory")
    refused(cli("election", "create", "--definition", desk.root / "def.toml", "--out", el, *phrase),
            "not empty")  # fmt: skip
    assert {p: p.read_bytes() for p in files_under(el)} == before


def test_a_short_passphrase_and_a_bad_definition_create_nothing(
    desk: Desk, tmp_path: Path, inproc: Any
) -> None:
    cli = inproc
    short = tmp_path / "short.txt"
    short.write_text("short\n")
    out = tmp_path / "el"
    refused(cli("election", "create", "--definition", desk.root / "def.toml", "--out", out,
                "--passphrase-file", short), "at least 12")  # fmt: skip
    assert not out.exists()
    bad = tmp_path / "bad.toml"
    bad.write_text(DEFINITION.replace("voters_on_list = 3\n", "voters_on_list = 3001\n"))
    result = cli("election", "create", "--definition", bad, "--out", out,
                 "--passphrase-file", desk.phrase)  # fmt: skip
    refused(result, f"{bad}:", "precincts[1].voters_on_list", "at most 3000")
    assert not out.exists()


def test_a_register_of_another_size_than_the_registry_says_is_refused(
    desk: Desk, tmp_path: Path, inproc: Any
) -> None:
    cli = inproc
    csv = tmp_path / "list.csv"
    header = "Cod,Cod_izber,Soname,Name,Otchestvo,Cod_uch,Data_rojd,PIN,Udostve,Date_vidach,Adres"
    csv.write_text(header + "\r\n", encoding="utf-8")
    text = DEFINITION.replace('register = "synthetic"', f'register = "{csv}"', 1)
    (tmp_path / "def.toml").write_text(text)
    result = cli("election", "create", "--definition", tmp_path / "def.toml", "--out",
                 tmp_path / "el", "--passphrase-file", desk.phrase)  # fmt: skip
    refused(result, "precinct P-1: the register has 0 voters", "voters_on_list = 4")


COMMANDS = [
    (),
    ("verify",),
    ("tally",),
    ("recount",),
    ("voterlist", "check"),
    ("audit",),
    ("collect",),
    ("status",),
    ("results",),
    ("report",),
    ("election",),
    ("election", "create"),
    ("election", "keys"),
    ("election", "sign"),
    ("election", "test-deck"),
    ("election", "calendar"),
    ("terminals", "register"),
    ("lat",),
]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples_and_exit_codes(
    command: tuple[str, ...], inproc: Any
) -> None:
    result = inproc(*command, "--help")
    assert result.returncode == 0
    assert "examples:" in result.stdout and "exit status:" in result.stdout
    assert "python -m host_tools" in result.stdout


def test_an_unforeseen_failure_is_one_line_and_exit_status_3(
    inproc: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("host_tools.__main__.pinned_package", broken)
    result = inproc("verify", "--package", "/nonexistent", "--commission-key", "00" * 32, "x")
    assert result.returncode == 3
    assert result.stderr.strip() == "ошибка / error: verify: RuntimeError: disk on fire"
    assert "Traceback" not in result.stdout + result.stderr


def test_the_commands_run_as_a_user_runs_them() -> None:
    result = cli("election", "sign", "--election", "/nonexistent/el")
    refused(result, "not an election directory")
    assert "election" in cli("--help").stdout


# --- logic and accuracy ---------------------------------------------------------------------


def test_deck_then_lat_passes_on_the_decks_results_and_fails_on_any_change(
    desk: Desk, tmp_path: Path, inproc: Any
) -> None:
    deck = tmp_path / "deck.jsonl"
    assert (
        inproc("election", "test-deck", "--election", desk.election, "--out", deck).returncode == 0
    )
    ballots = [json.loads(line) for line in deck.read_text().splitlines()]
    # Choice k of the contest gets k votes: a swap or a lost vote changes a total.
    assert ballots == [{"council": ["a"]}, {"council": ["b"]}, {"council": ["b"]}]
    expected = tmp_path / "deck.expected.json"
    assert json.loads(expected.read_text())["contests"] == {"council": {"a": 1, "b": 2}}
    package = desk.election / "package"
    election = load_pinned_package(package, desk.fingerprint).election
    signer = load_identity(desk.terminals["T-1"], DEVICE).key
    # The election's ballots are verifiable (format 2): the terminal decrypts the sums with
    # the key two members' cards rebuild.
    assert election.ballot_format == 2
    cards = [desk.cards / f"P-1-share-{m}-of-3.txt" for m in (1, 3)]
    key = {
        "private_key": rebuild_keys(load_pinned_package(package, desk.fingerprint), cards)["P-1"]
    }
    good = make_bundle(tmp_path / "good", election, "P-1", "T-1", signer, ballots, **key)
    pin = ("--package", package, "--commission-key", desk.fingerprint, "--expected", expected)
    result = inproc("lat", *pin, good)
    assert result.returncode == 0, result
    assert "PASS: every total equals the deck (3 ballots)" in result.stdout
    swapped = [{"council": ["b"]}, {"council": ["a"]}, {"council": ["a"]}]
    bad = make_bundle(tmp_path / "bad", election, "P-1", "T-1", signer, swapped, **key)
    result = inproc("lat", *pin, bad)
    assert result.returncode == 1
    assert "FAIL council/a: expected 1, counted 2" in result.stdout
    assert "FAIL council/b: expected 2, counted 1" in result.stdout
    short = make_bundle(tmp_path / "short", election, "P-1", "T-1", signer, ballots[:2], **key)
    result = inproc("lat", *pin, short)
    assert result.returncode == 1 and "FAIL ballots cast: expected 3, counted 2" in result.stdout
    # Unpinned, or pinned to another key: refused before anything is read.
    refused(inproc("lat", "--package", package, "--expected", expected, good), "no commission key")
    other = "0" * 64
    refused(inproc("lat", "--package", package, "--commission-key", other, "--expected",
                   expected, good), "not the pinned")  # fmt: skip
    alien = tmp_path / "alien.json"
    alien.write_text(expected.read_text().replace("KG-20270411-TEST", "KG-OTHER"))
    refused(inproc("lat", "--package", package, "--commission-key", desk.fingerprint,
                   "--expected", alien, good), "the deck of election KG-OTHER")  # fmt: skip
    alien.write_text("{}")
    refused(inproc("lat", *pin[:4], "--expected", alien, good), "missing field 'format'")


def write_cec_list(path: Path, precinct_number: str, count: int) -> Path:
    """`count` voters in the CEC's exchange layout (the CSV `voterlist check` reads)."""
    voters = synthetic.make_register("X", count, dt.date(2027, 4, 11), random.Random(3)).voters
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(("Cod", "Cod_izber", "Soname", "Name", "Otchestvo", "Cod_uch",
                         "Data_rojd", "PIN", "Udostve", "Date_vidach", "Adres"))  # fmt: skip
        for i, v in enumerate(voters, 1):
            writer.writerow((i, i, v.surname, v.name, v.patronymic, precinct_number,
                             v.birth_date.strftime("%d.%m.%Y"), v.number, v.document,
                             v.document_issued.strftime("%d.%m.%Y"), v.address))  # fmt: skip
    return path


def test_a_register_from_a_cec_layout_csv_goes_into_the_package(
    desk: Desk, tmp_path: Path, inproc: Any
) -> None:
    listed = write_cec_list(tmp_path / "p101.csv", "101", 4)
    text = DEFINITION.replace('register = "synthetic"', 'register = "p101.csv"', 1)
    (tmp_path / "def.toml").write_text(text)
    el = tmp_path / "el"
    result = inproc("election", "create", "--definition", tmp_path / "def.toml", "--out", el,
                    "--passphrase-file", desk.phrase)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads((el / "registers" / "counts.json").read_text()) == {"P-1": 4, "P-2": 3}
    # A row of another precinct in the list is named by file and row.
    write_cec_list(listed, "999", 4)
    result = inproc("election", "create", "--definition", tmp_path / "def.toml", "--out",
                    tmp_path / "el2", "--passphrase-file", desk.phrase)  # fmt: skip
    refused(result, "p101.csv row 2: of precinct '999', not 101")
    assert not (tmp_path / "el2").exists()

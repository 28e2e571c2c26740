"""The voter's receipt and the Benaloh challenge over a simulated day (ballot format 2).

Each voter's receipt is read back from its printout with zbarimg and found in the list
`verify --tracking-codes` publishes; a challenged ballot is listed as spoiled, never
counted, and its recorded choices re-encrypt to its committed ciphertexts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from host_tools import tracking_list
from terminal.ballot.package import load_package
from terminal.tally import spoiled
from terminal.tally.encrypted_ballot import decode, reencrypt_check
from terminal.tally.sealing import ballot_body, context
from tests.day.conftest import REPO, DayRun


def _voters(day: DayRun) -> list[dict[str, object]]:
    return [json.loads(line) for line in (day.out / "voters.jsonl").read_text().splitlines()]


def _published(day: DayRun, tmp_path: Path) -> dict[str, bool]:
    target = tmp_path / "tracking-codes.json"
    result = subprocess.run(
        [sys.executable, "-m", "host_tools", "verify", *day.pinned_package(),
         "--tracking-codes", str(target), str(day.bundle)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return tracking_list.read(target.read_bytes())


def _zbar(png: Path) -> str:
    out = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True, check=True
    ).stdout
    return out.strip()


def test_every_receipts_code_is_published_and_the_challenged_are_marked_spoiled(
    day: DayRun, tmp_path: Path
) -> None:
    published = _published(day, tmp_path)
    voters = _voters(day)
    cast = [v["tracking_code"] for v in voters if v["outcome"] == "cast"]
    challenged = [v["challenged"] for v in voters if v["challenged"]]
    assert len(challenged) == 2 and len(cast) == 24
    assert {c: published[c] for c in cast} == dict.fromkeys(cast, False)
    assert {c: published[c] for c in challenged} == dict.fromkeys(challenged, True)
    assert len(published) == len(cast) + len(challenged)
    # The receipts on paper: each decodes to a code of the list, none shows a choice.
    printouts = day.out / "printouts"
    receipts = sorted(printouts.glob("*-receipt.png"))
    assert len(receipts) == len(cast) + len(challenged)
    assert {_zbar(p) for p in receipts} == set(published)
    assert len(list(printouts.glob("*-challenge.png"))) == 2
    assert len(list(printouts.glob("*-slip.png"))) == 24


def test_a_challenged_ballots_choices_re_encrypt_to_its_committed_ciphertext(
    day: DayRun,
) -> None:
    package = load_package(day.package)
    election = package.election
    ballots = spoiled.decode((day.bundle / spoiled.FILE).read_bytes(), "spoiled.json")
    assert len(ballots) == 2
    precinct = election.precincts[0]
    ctx = context(election, precinct)
    for ballot in ballots:
        encrypted = decode(ballot_body(ballot.record), election)
        assert reencrypt_check(election, ctx, encrypted, ballot.selections, ballot.nonces)
        # The voter challenged and voted the same choices again: those are the ones printed.
        assert all(ballot.selections.values())


def test_the_open_data_list_is_the_one_verify_publishes(day: DayRun, tmp_path: Path) -> None:
    published = (tmp_path / "verify").mkdir() or _published(day, tmp_path / "verify")
    database = tmp_path / "results.sqlite"
    for command in (
        ["collect", "--db", str(database), *day.pinned_package(), str(day.bundle)],
        ["results", "--db", str(database), "--open-data", str(tmp_path / "open")],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "host_tools", *command],
            cwd=REPO, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
    listed = (tmp_path / "open" / "tracking-codes.json").read_bytes()
    assert tracking_list.read(listed) == published
    assert listed == (tmp_path / "verify" / "tracking-codes.json").read_bytes()

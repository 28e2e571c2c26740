"""The whole polling day, end to end, checked with the tools an auditor would use."""

from __future__ import annotations

import base64
import json
import random
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from terminal.tally.protocol import join_qr_parts
from tests.day.conftest import REPO, DayRun, run_day


def _openssl_verify(key: Path, data: Path, sig: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "openssl",
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            str(key),
            "-rawin",
            "-in",
            str(data),
            "-sigfile",
            str(sig),
        ],
        capture_output=True,
        text=True,
    )


def test_host_tally_equals_the_scripted_choices(day: DayRun) -> None:
    tally = json.loads((day.out / "tally.json").read_text())
    expected = Counter(c["president"][0] for c in day.choices)
    assert tally["contests"]["president"] == {
        c: expected.get(c, 0) for c in tally["contests"]["president"]
    }
    assert len(tally["contests"]["president"]) == 7, "every choice is listed, zeros included"
    assert "the host tally equals the choices" in day.stdout


def test_every_voter_cast_once_with_a_slip(day: DayRun) -> None:
    lines = [json.loads(line) for line in (day.out / "voters.jsonl").read_text().splitlines()]
    assert [line["voter"] for line in lines] == list(range(24))
    assert all(line["outcome"] == "cast" and line["slip"] for line in lines)
    slips = {line["slip"] for line in lines}
    assert len(slips) == 24
    printouts = sorted(p.name for p in (day.out / "printouts").iterdir())
    kinds = [name.split("-", 1)[1].removesuffix(".png") for name in printouts]
    assert kinds[:2] == ["setup-report", "zero-report"] and kinds[-1] == "protocol"
    assert kinds.count("slip") == 24


def test_refused_attempts_show_a_clear_screen(day: DayRun) -> None:
    screens = {p.name.split("-", 1)[1] for p in (day.out / "screens").iterdir()}
    for expected in (
        "ready.png",
        "chair_pin.png",
        "idle.png",
        "voter_found.png",
        "refused.png",
        "language.png",
        "ballot.png",
        "review.png",
        "cast.png",
        "shares.png",
        "counted.png",
    ):
        assert expected in screens, f"no {expected} among the screens"
    events = [json.loads(line) for line in (day.bundle / "events.jsonl").read_text().splitlines()]
    reasons = Counter(e["data"]["reason"] for e in events if e["kind"] == "voter_refused")
    assert reasons["not_on_register"] >= 1 and reasons["already_voted"] >= 1


def test_protocol_qr_codes_on_paper_verify_with_openssl(day: DayRun, tmp_path: Path) -> None:
    printout = next((day.out / "printouts").glob("*-protocol.png"))
    scanned = subprocess.run(
        ["zbarimg", "-q", "--raw", str(printout)], capture_output=True, text=True, check=True
    )
    protocol, signature = join_qr_parts(scanned.stdout.split())
    assert protocol == (day.bundle / "protocol.json").read_bytes()
    (tmp_path / "protocol.json").write_bytes(protocol)
    (tmp_path / "protocol.json.sig").write_bytes(signature)
    key = next((day.package / "terminals").glob("*.pub.pem"))
    result = _openssl_verify(key, tmp_path / "protocol.json", tmp_path / "protocol.json.sig")
    assert result.returncode == 0 and "Signature Verified Successfully" in result.stdout


def test_the_by_hand_script_of_the_docs_verifies_the_printout(day: DayRun, tmp_path: Path) -> None:
    printout = next((day.out / "printouts").glob("*-protocol.png"))
    key = next((day.package / "terminals").glob("*.pub.pem"))
    script = str(REPO / "scripts" / "verify-protocol-qr.sh")
    result = subprocess.run(
        ["sh", script, str(printout), str(key), str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert "Signature Verified Successfully" in result.stdout, result.stderr


def test_every_signature_verifies_with_stock_openssl(day: DayRun) -> None:
    terminal_key = next((day.package / "terminals").glob("*.pub.pem"))
    commission_key = day.package / "commission.pub.pem"
    signatures = list(day.bundle.rglob("*.sig")) + list(day.package.rglob("*.sig"))
    assert len(signatures) >= 7
    for sig in signatures:
        key = commission_key if day.package in sig.parents else terminal_key
        result = _openssl_verify(key, sig.with_suffix(""), sig)
        assert result.returncode == 0, f"{sig}: {result.stdout} {result.stderr}"


def test_event_log_reads_and_chains_with_jq(day: DayRun) -> None:
    log = day.bundle / "events.jsonl"
    kinds = subprocess.run(
        ["jq", "-r", ".kind", str(log)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert kinds[0] == "terminal_started" and "polls_opened" in kinds and "protocol_signed" in kinds
    prevs = subprocess.run(
        ["jq", "-r", ".prev", str(log)], capture_output=True, text=True, check=True
    ).stdout.split()
    lines = log.read_bytes().split(b"\n")[:-1]
    import hashlib

    assert prevs[0] == "0" * 64
    for index in range(1, len(lines)):
        assert prevs[index] == hashlib.sha256(lines[index - 1]).hexdigest()


def test_checkpoint_is_a_tlog_checkpoint_body(day: DayRun) -> None:
    for reason in ("open", "close", "export"):
        body = (day.bundle / "checkpoints" / f"{reason}.txt").read_text()
        origin, size, digest, kind, rest = body.split("\n")
        assert origin.startswith("tamga/") and int(size) > 0 and rest == ""
        assert len(base64.b64decode(digest)) == 32
        assert kind == f"tamga-checkpoint/1 {reason}"  # an extension line: which checkpoint


def test_the_by_hand_script_of_the_docs_verifies_the_bundle(day: DayRun) -> None:
    key = next((day.package / "terminals").glob("*.pub.pem"))
    script = str(REPO / "scripts" / "verify-bundle.sh")
    result = subprocess.run(
        ["sh", script, str(day.bundle), str(key)], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "chain intact" in result.stdout and "protocol_signed: OK" in result.stdout


def test_flipping_any_byte_of_the_bundle_fails_verification_naming_the_file(
    day: DayRun, tmp_path: Path
) -> None:
    rng = random.Random(5)
    files = sorted(p for p in day.bundle.rglob("*") if p.is_file())
    for path in files:
        relative = path.relative_to(day.bundle)
        size = path.stat().st_size
        for offset in rng.sample(range(size), min(size, 3)):
            copy = tmp_path / "bundle"
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(day.bundle, copy)
            data = bytearray((copy / relative).read_bytes())
            data[offset] ^= 1 << rng.randrange(8)
            (copy / relative).write_bytes(bytes(data))
            result = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "host_tools",
                    "verify",
                    *day.pinned_package(),
                    str(copy),
                ],
                cwd=REPO,
                capture_output=True,
                text=True,
            )
            assert result.returncode == 1, f"{relative}@{offset} was accepted"
            named = str(relative).removesuffix(".sig")
            assert named in result.stderr, f"{relative}@{offset}: {result.stderr}"


def test_recount_with_two_share_cards_equals_the_protocol(day: DayRun) -> None:
    cards = sorted((day.out / "cards").glob("*-share-*.txt"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "host_tools",
            "recount",
            *day.pinned_package(),
            "--shares",
            str(cards[0]),
            str(cards[2]),
            str(day.bundle),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_killing_the_terminal_at_random_moments_loses_and_doubles_nothing(
    tmp_path: Path,
) -> None:
    run = run_day(tmp_path / "cuts", 16, 11, 16, "--power-cuts", "12")
    lines = [json.loads(line) for line in (run.out / "voters.jsonl").read_text().splitlines()]
    assert len(lines) == 16 and all(line["outcome"] == "cast" for line in lines)
    tally = json.loads((run.out / "tally.json").read_text())["contests"]["president"]
    expected = Counter(c["president"][0] for c in run.choices)
    assert tally == {c: expected.get(c, 0) for c in tally}
    assert "power cuts: 12" in run.stdout

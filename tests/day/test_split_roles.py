"""The two-device set-up: an identification desk printing coupons, a voting booth taking them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter

from tests.day.conftest import REPO, DayRun


def test_split_day_tally_equals_the_voters_choices(split_day: DayRun) -> None:
    tally = json.loads((split_day.out / "tally.json").read_text())
    expected = Counter(c["president"][0] for c in split_day.choices)
    president = tally["contests"]["president"]
    assert president == {c: expected.get(c, 0) for c in president}
    lines = [json.loads(x) for x in (split_day.out / "voters.jsonl").read_text().splitlines()]
    assert len(lines) == 20
    # A voter whose coupon was cut off mid-print is referred to the commission (fail-safe);
    # every other voter voted once with a printed slip.
    cast = [line for line in lines if line["outcome"] == "cast"]
    assert len(cast) >= 18 and all(line["slip"] for line in cast)


def test_both_bundles_verify_together_and_reconcile(split_day: DayRun) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "host_tools", "verify", *split_day.pinned_package(),
         str(split_day.bundle), str(split_day.out / "bundle-identify")],
        cwd=REPO, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "coupons printed" in result.stdout and "codes used at the booths" in result.stdout
    desk = json.loads((split_day.out / "bundle-identify" / "protocol.json").read_text())
    booth = json.loads((split_day.out / "bundle" / "protocol.json").read_text())
    assert desk["lines"]["ballots_cast"] == 0
    assert desk["lines"]["voters_received_ballot"] <= 20
    assert booth["lines"]["voters_received_ballot"] == 0
    valid = desk["lines"]["coupons_issued"] - desk["lines"]["coupons_void"]
    used = booth["lines"]["ballots_issued"] - booth["lines"]["ballots_void"]
    assert used <= valid


def test_the_coupon_carries_only_a_ballot_code(split_day: DayRun) -> None:
    coupon = next((split_day.out / "printouts").glob("*-coupon.png"))
    scanned = subprocess.run(
        ["zbarimg", "-q", "--raw", str(coupon)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert len(scanned) == 1 and scanned[0].startswith("TAMGA-BC:2:")
    fields = scanned[0].split(":")
    assert len(fields) == 8 and fields[3] == "1234" and fields[4] == "T-1234-02"
    # The booth, the minute it was issued, a random nonce and the tag: nothing of the voter.
    assert fields[5].isdigit() and len(fields[6]) == len(fields[7]) == 16
    assert not re.search(r"\d{14}", scanned[0])

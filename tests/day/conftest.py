"""A simulated polling day, run once per test session and shared by the day tests."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from terminal.hal.device_key import KeyFileDeviceKey
from terminal.trust.sealed_store import DeviceSealer
from terminal.trust.signing import VerifyKey

REPO = Path(__file__).resolve().parents[2]
CHOICES = ["cand-1", "cand-2", "cand-3", "cand-4", "cand-5", "cand-6", "against-all"]


@dataclass(frozen=True)
class DayRun:
    out: Path
    choices: list[dict[str, list[str]]]
    stdout: str

    @property
    def package(self) -> Path:
        return self.out / "package"

    @property
    def bundle(self) -> Path:
        return self.out / "bundle"

    def pinned_package(self) -> list[str]:
        """`--commission-key FINGERPRINT --package DIR` for a host command, the fingerprint of
        the key the commission's office made (not the package's copy)."""
        key = VerifyKey.load(self.out / "office" / "commission.pub.pem")
        return ["--commission-key", key.fingerprint(), "--package", str(self.package)]


def device_of(run: Path) -> DeviceSealer:
    """The device key of the simulated board whose run directory is `run` (beside data/)."""
    return DeviceSealer(KeyFileDeviceKey(run / "device.key").read())


def run_day(out: Path, voters: int, seed: int, scripted: int, *extra: str) -> DayRun:
    """Run `python -m sim day` with the first `scripted` voters' choices given in a file."""
    rng = random.Random(seed)
    choices = [{"president": [rng.choice(CHOICES)]} for _ in range(scripted)]
    out.mkdir(parents=True, exist_ok=True)
    choices_file = out.parent / f"{out.name}-choices.jsonl"
    choices_file.write_text("".join(json.dumps(c) + "\n" for c in choices))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "day",
            "--voters",
            str(voters),
            "--seed",
            str(seed),
            "--out",
            str(out),
            "--choices",
            str(choices_file),
            *extra,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, f"sim day failed:\n{result.stdout}\n{result.stderr}"
    return DayRun(out, choices, result.stdout)


@pytest.fixture(scope="session")
def day(tmp_path_factory: pytest.TempPathFactory) -> DayRun:
    """A day of 24 voters, all with scripted choices; two challenge a ballot once."""
    return run_day(tmp_path_factory.mktemp("day") / "run", 24, 7, 24, "--challenges", "2")


@pytest.fixture(scope="session")
def split_day(tmp_path_factory: pytest.TempPathFactory) -> DayRun:
    """A day at an identification desk and a voting booth, with power cuts on both."""
    return run_day(
        tmp_path_factory.mktemp("split") / "run", 20, 9, 20, "--roles", "split",
        "--power-cuts", "12", "--challenges", "3",
    )  # fmt: skip

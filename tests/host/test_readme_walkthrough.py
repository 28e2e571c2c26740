"""The README's "Commission: before election day" steps, run as written on
examples/kg-local.toml: a new user following them gets a signed package that every planned
terminal accepts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from host_tools.election.definition import load_definition
from host_tools.pinning import load_pinned_package
from terminal.app.identity import load_identity
from terminal.trust.sealed_store import DeviceSealer
from terminal.trust.signing import VerifyKey

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"


def readme_commands() -> list[str]:
    """The indented command lines of the section, continuation lines joined."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Commission: before election day", 1)[1].split("\n## ", 1)[0]
    commands, current = [], ""
    for line in section.splitlines():
        if current:
            if not line.startswith(" " * 7):
                raise AssertionError(f"a command continued by {line!r}")
        elif not re.match(r"^ {7}(python|head) ", line):
            continue
        current += line.strip().removesuffix("\\").rstrip() + " "
        if not line.rstrip().endswith("\\"):
            commands.append(current.strip())
            current = ""
    return commands


def step(command: str) -> str:
    """`create` for `python -m host_tools election create ...`, `head` for `head -c ...`."""
    words = command.split()
    if words[0] != "python" or words[2] == "terminal":
        return words[0] if words[0] != "python" else words[3]
    return words[4] if words[3] in ("election", "terminals") else words[3]


def test_the_walkthrough_runs_as_written(tmp_path: Path) -> None:
    commands = readme_commands()
    steps = [step(c) for c in commands]
    assert steps[:6] == ["create", "head", "provision", "keys", "register", "sign"], commands
    (tmp_path / "examples").symlink_to(REPO / "examples")
    (tmp_path / "board_configs").symlink_to(REPO / "board_configs")
    (tmp_path / "phrase.txt").write_text("a long and secret passphrase\n")
    cards = tmp_path / "medium" / "cards"
    planned = [
        t.id
        for p in load_definition(REPO / "examples/kg-local.toml").precincts
        for t in p.terminals
    ]
    script = []
    for command in commands[:6]:
        command = command.replace("/dev/shm/cards", str(cards))
        if " provision " in command:
            # "and the same for" every other planned terminal
            script += [command.replace("T-1001-01", t) for t in planned]
        else:
            script.append(command)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # `python` as the README says it, being this environment's interpreter.
    (bin_dir / "python").write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    (bin_dir / "python").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "PYTHONPATH": str(REPO)}
    env.pop("LANGUAGE", None)
    done = subprocess.run(
        ["bash", "-euc", " && ".join(script)], cwd=tmp_path, env=env, capture_output=True,
        text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, (script, done.stdout, done.stderr)
    el = tmp_path / "el"
    fingerprint = VerifyKey.load(el / "commission.pub.pem").fingerprint()
    assert f"Commission key fingerprint (publish it): {fingerprint}" in done.stdout
    package = load_pinned_package(el / "package", fingerprint)
    device = DeviceSealer((tmp_path / "device.key").read_bytes())
    for terminal in planned:
        identity = load_identity(tmp_path / "terminals" / terminal, device)
        package.keys(terminal, identity.decryption)  # sealed to this terminal: it opens
    assert len(list(cards.iterdir())) == 4 * (3 * 3 + 3)

"""The software hash printed on every report: SHA-256 over the terminal's own source files."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@cache
def software_hash() -> str:
    """Hex SHA-256 over every .py and .toml file of the terminal package, by path then content."""
    digest = hashlib.sha256()
    for path in sorted(ROOT.rglob("*")):
        if path.suffix in (".py", ".toml") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()

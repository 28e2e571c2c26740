"""The commission key a host command trusts: pinned on its command line, never found in a package.

A package carries its own `commission.pub.pem`, so trusting that copy trusts whoever made
the package. Every host command that reads bundles therefore takes the key's fingerprint
from its operator, `--commission-key FINGERPRINT`, or from a configuration file the
operator names, `--config FILE`; there is no default file looked up implicitly, since a
file found by itself is as good as one planted.

FINGERPRINT is the one docs/verify-by-hand.md defines: the hex SHA-256 of the raw 32-byte
Ed25519 key, what `openssl pkey -pubin -in commission.pub.pem -outform DER | tail -c 32 |
sha256sum` prints (that output, with its trailing ` -`, is accepted as it is).

The configuration file is TOML with one key:

    commission_key = "3f5c…"   # 64 hex digits
"""

from __future__ import annotations

import argparse
import hmac
import re
import sys
import tomllib
from pathlib import Path

from terminal.ballot.package import Package, PackageError, load_package, read_commission_key

EXIT_PACKAGE = 2
CONFIG_KEY = "commission_key"
CONFIG_MAX_BYTES = 64 * 1024
FINGERPRINT_COMMAND = (
    "openssl pkey -pubin -in commission.pub.pem -outform DER | tail -c 32 | sha256sum"
)
_FINGERPRINT = re.compile(r"([0-9a-f]{64})(?:\s+-)?")


class PinError(Exception):
    """No pin was given, or the one given is malformed or names another key."""


def add_pin_arguments(parser: argparse.ArgumentParser) -> None:
    """Add `--commission-key FINGERPRINT` and `--config FILE` (one of them is required when
    the command runs: `pinned_package` says so)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--commission-key",
        metavar="FINGERPRINT",
        help="the commission key's published SHA-256 fingerprint (64 hex digits: "
        f"{FINGERPRINT_COMMAND}); the package must be signed by this key",
    )
    group.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help=f'a TOML file holding {CONFIG_KEY} = "FINGERPRINT" (never looked up by itself)',
    )


def parse_fingerprint(text: str, source: str) -> str:
    """The fingerprint in `text` as 64 lowercase hex digits, or PinError naming `source`."""
    match = _FINGERPRINT.fullmatch(text.strip().lower())
    if match is None:
        raise PinError(
            f"{source}: {text.strip()[:80]!r} is not a key fingerprint: give the 64 hex digits "
            f"that `{FINGERPRINT_COMMAND}` prints"
        )
    return match.group(1)


def _config_fingerprint(path: Path) -> str:
    try:
        with path.open("rb") as stream:
            data = stream.read(CONFIG_MAX_BYTES + 1)
    except OSError as exc:
        raise PinError(f"--config {path}: cannot read it ({exc.strerror})") from exc
    if len(data) > CONFIG_MAX_BYTES:
        raise PinError(f"--config {path}: larger than {CONFIG_MAX_BYTES} bytes: not a config")
    try:
        config = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PinError(f"--config {path}: not a TOML file ({exc})") from exc
    value = config.get(CONFIG_KEY)
    if not isinstance(value, str):
        raise PinError(f'--config {path}: no {CONFIG_KEY} = "FINGERPRINT" line')
    return parse_fingerprint(value, f"--config {path}: {CONFIG_KEY}")


def pinned_fingerprint(args: argparse.Namespace) -> str:
    """The fingerprint the operator pinned with `--commission-key` or `--config`."""
    if args.commission_key is not None:
        return parse_fingerprint(args.commission_key, "--commission-key")
    if args.config is not None:
        return _config_fingerprint(args.config)
    raise PinError(
        "no commission key pinned: give --commission-key FINGERPRINT (the fingerprint the "
        f"commission published; `{FINGERPRINT_COMMAND}` prints it) or --config FILE. The "
        "package's own commission.pub.pem is never trusted by itself."
    )


def load_pinned_package(directory: Path, fingerprint: str) -> Package:
    """Load the package at `directory` if it is signed by the key with `fingerprint`."""
    key = read_commission_key(directory)
    found = key.fingerprint()
    if not hmac.compare_digest(found, fingerprint):
        raise PinError(
            f"{directory}/commission.pub.pem: the package's commission key has fingerprint "
            f"{found}, not the pinned {fingerprint}: this package was not made by the "
            "commission you trust"
        )
    return load_package(directory, trusted_commission=key)


def pinned_package(args: argparse.Namespace) -> Package:
    """The package of `args.package`, verified against the pinned commission key; on any
    problem print a clear message and exit with status 2."""
    try:
        return load_pinned_package(args.package, pinned_fingerprint(args))
    except PinError as exc:
        print(f"error: commission key: {exc}", file=sys.stderr)
    except PackageError as exc:
        print(f"error: election package: {exc}", file=sys.stderr)
    raise SystemExit(EXIT_PACKAGE)

"""The election definition and the signed package: what a terminal accepts at setup."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from terminal.ballot.election import Election
from terminal.ballot.package import (
    COMMISSION_KEY_FILE,
    ELECTION_FILE,
    Package,
    PackageError,
    load_package,
)
from terminal.jsonfmt import FormatError, canonical_json
from terminal.trust.signing import SigningKey, sig_path, write_signed
from tests.unit.conftest import (
    PRECINCT,
    TERMINAL_ID,
    SmallPackage,
    flip,
    fuzz,
    json_objects,
    json_values,
)

REGISTER_FILE = f"registers/{PRECINCT}.json.enc"
TERMINAL_KEY_FILE = f"terminals/{TERMINAL_ID}.pub.pem"

# --- the package -------------------------------------------------------------------------------


def test_the_written_package_loads_with_everything_in_it(small_package: SmallPackage) -> None:
    package = load_package(small_package.directory, small_package.commission.public)
    assert package.election == small_package.created.election
    keys = package.keys(TERMINAL_ID, small_package.terminal_encryption)
    assert package.register(PRECINCT, keys) == small_package.created.registers[PRECINCT]
    assert package.terminal_key(TERMINAL_ID).raw() == small_package.terminal.public.raw()
    # An auditor without a pinned key reads it with the package's own commission key.
    assert load_package(small_package.directory).election == package.election


def test_the_register_travels_encrypted(small_package: SmallPackage) -> None:
    register = small_package.created.registers[PRECINCT]
    for path in small_package.directory.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for voter in register.voters:
                assert voter.number.encode() not in data, path
                assert voter.surname.encode() not in data, path


def altered(small_package: SmallPackage, tmp_path: Path) -> Path:
    return small_package.copy_to(tmp_path / "package")


def load_error(directory: Path, small_package: SmallPackage) -> str:
    with pytest.raises(PackageError) as caught:
        package = load_package(directory, small_package.commission.public)
        keys = package.keys(TERMINAL_ID, small_package.terminal_encryption)
        package.register(PRECINCT, keys)
        package.terminal_key(TERMINAL_ID)
    return str(caught.value)


def test_a_flipped_byte_in_election_json_is_refused(
    small_package: SmallPackage, tmp_path: Path
) -> None:
    directory = altered(small_package, tmp_path)
    original = (directory / ELECTION_FILE).read_bytes()
    for index in range(0, len(original), max(1, len(original) // 60)):
        (directory / ELECTION_FILE).write_bytes(flip(original, index))
        message = load_error(directory, small_package)
        assert f"package/{ELECTION_FILE}: signature does not verify" in message


def test_a_missing_signature_is_refused(small_package: SmallPackage, tmp_path: Path) -> None:
    directory = altered(small_package, tmp_path)
    sig_path(directory / ELECTION_FILE).unlink()
    assert f"package/{ELECTION_FILE}.sig: missing signature" in load_error(directory, small_package)


def test_a_package_of_another_commission_is_refused(
    small_package: SmallPackage, tmp_path: Path, other_key: SigningKey
) -> None:
    directory = altered(small_package, tmp_path)
    data = (directory / ELECTION_FILE).read_bytes()
    # Re-signed by another key, which also replaces commission.pub.pem: the pinned key wins.
    write_signed(directory / ELECTION_FILE, data, other_key)
    other_key.public.save(directory / COMMISSION_KEY_FILE)
    assert "another commission key" in load_error(directory, small_package)
    # Re-signed by another key, leaving the real commission key in place.
    small_package.commission.public.save(directory / COMMISSION_KEY_FILE)
    assert f"package/{ELECTION_FILE}: signature does not verify" in load_error(
        directory, small_package
    )


def test_a_missing_commission_key_is_named(small_package: SmallPackage, tmp_path: Path) -> None:
    directory = altered(small_package, tmp_path)
    (directory / COMMISSION_KEY_FILE).unlink()
    assert COMMISSION_KEY_FILE in load_error(directory, small_package)


def test_a_directory_without_election_json_is_not_a_package(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="not an election package"):
        load_package(tmp_path)


def test_an_altered_or_missing_register_is_refused(
    small_package: SmallPackage, tmp_path: Path
) -> None:
    directory = altered(small_package, tmp_path)
    original = (directory / REGISTER_FILE).read_bytes()
    for index in (0, len(original) // 2, len(original) - 1):
        (directory / REGISTER_FILE).write_bytes(flip(original, index))
        message = load_error(directory, small_package)
        assert f"package/{REGISTER_FILE}: altered" in message
    (directory / REGISTER_FILE).unlink()
    assert f"package/{REGISTER_FILE}: missing" in load_error(directory, small_package)


def test_a_replaced_terminal_key_is_refused(
    small_package: SmallPackage, tmp_path: Path, other_key: SigningKey
) -> None:
    directory = altered(small_package, tmp_path)
    other_key.public.save(directory / TERMINAL_KEY_FILE)  # a valid key, but not the registered one
    assert f"package/{TERMINAL_KEY_FILE}: altered" in load_error(directory, small_package)


def test_precinct_keys_open_only_for_the_registered_terminal(small_package: SmallPackage) -> None:
    package = load_package(small_package.directory, small_package.commission.public)
    with pytest.raises(PackageError, match="do not open"):
        package.keys(TERMINAL_ID, X25519PrivateKey.generate())
    with pytest.raises(PackageError, match="not registered"):
        package.keys("T-9999", small_package.terminal_encryption)
    with pytest.raises(PackageError, match="not registered"):
        package.terminal_key("T-9999")
    keys = package.keys(TERMINAL_ID, small_package.terminal_encryption)
    with pytest.raises(PackageError, match="not in this election"):
        package.register("P9", keys)


@pytest.mark.parametrize("name", ["../outside.json", "/etc/passwd", "registers/../../x"])
def test_bound_files_must_stay_inside_the_package(
    small_package: SmallPackage, tmp_path: Path, name: str
) -> None:
    package = load_package(small_package.directory, small_package.commission.public)
    keys = package.keys(TERMINAL_ID, small_package.terminal_encryption)
    election = package.election
    precinct = dataclasses.replace(election.precincts[0], register_file=name)
    escaped = Package(
        package.directory, dataclasses.replace(election, precincts=(precinct,)), package.commission
    )
    with pytest.raises(PackageError, match="inside the package"):
        escaped.register(PRECINCT, keys)


# --- the election definition -------------------------------------------------------------------


@pytest.fixture(scope="module")
def election_dict(small_package: SmallPackage) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(small_package.created.election.to_json())
    return value


def parse(value: dict[str, Any]) -> Election:
    return Election.from_json(canonical_json(value), "election.json")


def refused(value: dict[str, Any], match: str | None = None) -> str:
    with pytest.raises(FormatError, match=match) as caught:
        parse(value)
    return str(caught.value)


def test_the_election_round_trips(
    small_package: SmallPackage, election_dict: dict[str, Any]
) -> None:
    election = small_package.created.election
    assert parse(election_dict) == election
    assert election.to_json() == canonical_json(election_dict)


def key_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key of every object, except inside maps of names by language."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((*path, key))
            if key not in ("names", "titles"):
                found.extend(key_paths(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(key_paths(item, (*path, index)))
    return found


def at(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


# Contest fields added after the first packages were signed: absent means the old default.
ADDED_LATER = ("kind", "blank_allowed", "party", "ballot_number", "share_cards")


def test_every_field_is_required(election_dict: dict[str, Any]) -> None:
    paths = key_paths(election_dict)
    assert len(paths) > 40
    for path in paths:
        if path[-1] in ADDED_LATER:
            continue
        value = copy.deepcopy(election_dict)
        del at(value, path[:-1])[path[-1]]
        message = refused(value)
        assert "election.json" in message
        # The message names what is missing.
        assert repr(path[-1]) in message or path[-1] in ("names", "titles"), message


@pytest.mark.parametrize(
    "timezone", ["Asia/Bishkek", "UTC", "", "06:00", "+6:00", "+15:00", "+06:60", "+06:00:00"]
)
def test_timezone_must_be_a_utc_offset(election_dict: dict[str, Any], timezone: str) -> None:
    value = copy.deepcopy(election_dict)
    value["timezone"] = timezone
    refused(value, "UTC offset")


def test_utc_offsets_are_read(election_dict: dict[str, Any]) -> None:
    value = copy.deepcopy(election_dict)
    for text, minutes in (("+06:00", 360), ("+05:45", 345), ("-03:30", -210), ("+00:00", 0)):
        value["timezone"] = text
        assert parse(value).utc_offset.total_seconds() == minutes * 60


@pytest.mark.parametrize(
    ("opens", "closes"),
    [
        ("20:00", "08:00"),
        ("08:00", "08:00"),
        ("08:00+06:00", "20:00"),  # local time is the election's timezone, not a per-field one
        ("08:00", "20:00+06:00"),
        ("08:00+06:00", "20:00+06:00"),
        ("08:00:30", "20:00"),  # would be written back as 08:00
        ("8:00", "20:00"),
        ("08:00", "24:00"),
        ("morning", "20:00"),
    ],
)
def test_poll_hours_must_be_hh_mm_and_in_order(
    election_dict: dict[str, Any], opens: str, closes: str
) -> None:
    value = copy.deepcopy(election_dict)
    value["polls_open"], value["polls_close"] = opens, closes
    refused(value)


def test_duplicate_ids_are_refused(election_dict: dict[str, Any]) -> None:
    value = copy.deepcopy(election_dict)
    choices = value["contests"][0]["choices"]
    choices[1]["id"] = choices[0]["id"]
    refused(value, "appears twice")
    value = copy.deepcopy(election_dict)
    value["contests"].append(copy.deepcopy(value["contests"][0]))
    refused(value, "appears twice")
    value = copy.deepcopy(election_dict)
    value["precincts"].append(copy.deepcopy(value["precincts"][0]))
    refused(value, "appears twice")
    value = copy.deepcopy(election_dict)
    value["terminals"].append(copy.deepcopy(value["terminals"][0]))
    refused(value, "appears twice")


ID_PATHS = [
    ("id",),
    ("contests", 0, "id"),
    ("contests", 0, "choices", 1, "id"),
    ("precincts", 0, "code"),
    ("terminals", 0, "id"),
]


@pytest.mark.parametrize("path", ID_PATHS)
@pytest.mark.parametrize(
    "bad", ["a/b", "a:b", "", ".hidden", "-x", "a b", "P1\n", "Участок", "a" * 65, "../P1"]
)
def test_ids_are_plain_ascii_names(
    election_dict: dict[str, Any], path: tuple[Any, ...], bad: str
) -> None:
    value = copy.deepcopy(election_dict)
    at(value, path[:-1])[path[-1]] = bad
    if path == ("precincts", 0, "code"):  # keep the terminal pointing at it
        value["terminals"][0]["precinct"] = bad
    refused(value)


def test_longest_id_is_accepted(election_dict: dict[str, Any]) -> None:
    value = copy.deepcopy(election_dict)
    value["id"] = "a" * 64
    assert parse(value).id == "a" * 64


@pytest.mark.parametrize(
    ("path", "bad", "match"),
    [
        (("terminals", 0, "precinct"), "P9", "not in the election"),
        (("precincts", 0, "ballot_slots"), 2, "at least the number of voters"),
        (("country",), "RU", "KG or KZ"),
        (("mode",), "practice", "official, test"),
        (("terminals", 0, "role"), "admin", "identify, vote, combined"),
        (("names",), {"de": "Wahl"}, "Russian or English"),
        (("names",), {"en": "Election", "de": "Wahl"}, "unknown languages"),
        (("contests", 0, "max_selections"), 4, "exceeds"),
        (("contests", 0, "max_selections"), 0, "at least 1"),
        (("contests", 0, "choices"), [], "at least one choice"),
        (("precincts", 0, "sealing_key"), "00" * 31, "32 bytes"),
        (("terminals", 0, "sealed_secrets"), "00", "bytes"),
        (("identification", "countries"), ["KG"], "ICAO"),
        (("identification", "countries"), [], "ICAO"),
        (("identification", "minimum_age"), 15, "at least 16"),
        (("date",), "30.11.2025", "YYYY-MM-DD"),
        (("format",), "tamga-election/2", "format"),
    ],
)
def test_election_content_rules(
    election_dict: dict[str, Any], path: tuple[Any, ...], bad: Any, match: str
) -> None:
    value = copy.deepcopy(election_dict)
    at(value, path[:-1])[path[-1]] = bad
    refused(value, match)


def test_not_json_objects_are_refused() -> None:
    for data in (b"", b"[]", b"\xff", b'{"format":"tamga-election/1","format":"x"}', b"NaN"):
        with pytest.raises(FormatError):
            Election.from_json(data)


@fuzz(60)
@given(json_objects)
def test_random_objects_raise_only_format_error(value: dict[str, Any]) -> None:
    with pytest.raises(FormatError):
        Election.from_json(canonical_json(value))


@fuzz(200)
@given(st.data())
def test_one_field_changed_gives_an_election_or_a_format_error(
    election_dict: dict[str, Any], data: st.DataObject
) -> None:
    """Any one value of a valid election replaced by random JSON (or removed): either the
    result is still a valid election that writes back unchanged, or a FormatError."""
    value = copy.deepcopy(election_dict)
    node: Any = value
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            break
        key = data.draw(st.sampled_from(keys))
        child = node[key]
        if isinstance(child, dict | list) and child and data.draw(st.booleans()):
            node = child
            continue
        if isinstance(node, dict) and data.draw(st.integers(0, 5)) == 0:
            del node[key]
        else:
            node[key] = data.draw(json_values)
        break
    try:
        election = parse(value)
    except FormatError:
        return
    assert Election.from_json(election.to_json()) == election

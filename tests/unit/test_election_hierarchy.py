"""The territorial hierarchy (CEC -> region -> district -> precinct), the election's kind and
the precinct registry fields of election.json: read strictly, written canonically, and
packages written before them still load."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from terminal.ballot.election import (
    MAX_VOTERS_ON_LIST,
    Election,
    ElectionKind,
    TerritoryKind,
)
from terminal.jsonfmt import FormatError, canonical_json
from tests.unit.conftest import PRECINCT, SmallPackage

REGISTRY_KEYS = ("premises", "address", "restricted_access", "new", "abolished", "voters_on_list")


@pytest.fixture
def plain(small_package: SmallPackage) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(small_package.created.election.to_json())
    return value


@pytest.fixture
def full(plain: dict[str, Any]) -> dict[str, Any]:
    """The small election with a kind, two regions, three districts and registry fields."""
    value = copy.deepcopy(plain)
    value["kind"] = "local_council"
    value["territories"] = [
        {"id": "R-CHUI", "kind": "region", "names": {"ru": "Чуйская область"}},
        {"id": "R-OSH", "kind": "region", "names": {"ky": "Ош облусу", "ru": "Ошская область"}},
        {"id": "D-1", "kind": "district", "names": {"ru": "Аламудун"}, "parent": "R-CHUI"},
        {"id": "D-2", "kind": "district", "names": {"ru": "Сокулук"}, "parent": "R-CHUI"},
        {"id": "D-3", "kind": "district", "names": {"en": "Kara-Suu"}, "parent": "R-OSH"},
    ]
    precinct = value["precincts"][0]
    precinct.update(
        number="1001",
        territory="D-2",
        premises={"ru": "Школа № 5", "ky": "№ 5 мектеп"},
        address="Сокулук, ул. Ленина, 12",
        restricted_access=False,
        new=True,
        abolished=False,
        voters_on_list=3,
    )
    return value


def parse(value: dict[str, Any]) -> Election:
    return Election.from_json(canonical_json(value), "election.json")


def refused(value: dict[str, Any], match: str) -> str:
    with pytest.raises(FormatError, match=match) as caught:
        parse(value)
    return str(caught.value)


def test_the_hierarchy_and_registry_round_trip(full: dict[str, Any]) -> None:
    election = parse(full)
    assert election.kind is ElectionKind.LOCAL_COUNCIL
    assert [t.kind for t in election.territories] == [TerritoryKind.REGION] * 2 + [
        TerritoryKind.DISTRICT
    ] * 3
    precinct = election.precincts[0]
    assert (precinct.number, precinct.territory, precinct.new) == ("1001", "D-2", True)
    assert precinct.premises["ky"] == "№ 5 мектеп"
    assert precinct.voters_on_list == 3
    region = election.region_of(precinct)
    assert region is not None and region.id == "R-CHUI"
    # Written canonically: the same bytes as the canonical form of what was read.
    assert election.to_json() == canonical_json(full)


def test_a_package_from_before_the_registry_still_loads(plain: dict[str, Any]) -> None:
    old = copy.deepcopy(plain)
    for key in ("number", *REGISTRY_KEYS):
        del old["precincts"][0][key]
    assert "kind" not in old and "territories" not in old
    election = parse(old)
    precinct = election.precincts[0]
    assert election.kind is None and election.territories == ()
    # Its code was its number; the register is the list.
    assert precinct.number == PRECINCT
    assert precinct.voters_on_list == precinct.voters
    assert precinct.territory is None and election.region_of(precinct) is None
    assert parse(json.loads(election.to_json())) == election


@pytest.mark.parametrize("key", ["number", *REGISTRY_KEYS, "territory"])
def test_each_registry_field_is_required_once_there_is_a_registry(
    full: dict[str, Any], key: str
) -> None:
    del full["precincts"][0][key]
    message = refused(full, "missing field")
    assert "election.json.precincts[0]" in message and repr(key) in message


@pytest.mark.parametrize("key", ["id", "kind", "names", "parent"])
def test_each_territory_field_is_required(full: dict[str, Any], key: str) -> None:
    del full["territories"][2][key]
    message = refused(full, "missing field")
    assert "election.json.territories[2]" in message and repr(key) in message


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda v: v.update(kind="mayor"), "presidential, parliamentary"),
        (lambda v: v.update(kind=1), "'kind' must be a string"),
        (lambda v: v["territories"][0].update(kind="oblast"), "region, district"),
        (lambda v: v["territories"][0].update(parent="R-OSH"), "a region has no field 'parent'"),
        (lambda v: v["territories"][2].update(parent="D-2"), "'D-2' is not a region"),
        (lambda v: v["territories"][2].update(parent="R-NONE"), "'R-NONE' is not a region"),
        (lambda v: v["territories"][3].update(id="D-1"), "'D-1' appears twice"),
        (lambda v: v["territories"][3].update(id="D 1"), "not a valid id"),
        (lambda v: v["territories"][3].update(names={"de": "X"}), "Russian or English"),
        (lambda v: v["precincts"][0].update(territory="D-9"), "'D-9' is not a district"),
        (lambda v: v["precincts"][0].update(territory="R-OSH"), "'R-OSH' is not a district"),
        (lambda v: v["precincts"][0].update(number=1001), "'number' must be a string"),
        (lambda v: v["precincts"][0].update(number="10/01"), "not a valid id"),
        (lambda v: v["precincts"][0].update(new="yes"), "'new' must be true or false"),
        (lambda v: v["precincts"][0].update(abolished=0), "'abolished' must be true or false"),
        (lambda v: v["precincts"][0].update(voters_on_list=-1), "at least 0"),
        (lambda v: v["precincts"][0].update(voters_on_list=3001), "at most 3000 voters"),
        (lambda v: v["precincts"][0].update(premises={"ru": "Ш", "fr": "É"}), "unknown languages"),
        (lambda v: v["precincts"][0].update(address=["Сокулук"]), "'address' must be a string"),
        (lambda v: v.pop("territories"), "lists no territories"),
    ],
)
def test_bad_hierarchy_and_registry_values_are_refused(
    full: dict[str, Any], change: Any, match: str
) -> None:
    change(full)
    assert "election.json" in refused(full, match)


def test_a_precinct_may_have_three_thousand_voters_on_its_list(full: dict[str, Any]) -> None:
    full["precincts"][0]["voters_on_list"] = MAX_VOTERS_ON_LIST
    assert parse(full).precincts[0].voters_on_list == 3000


def test_precinct_numbers_are_unique(full: dict[str, Any]) -> None:
    second = copy.deepcopy(full["precincts"][0])
    second["code"] = "P2"
    full["precincts"].append(second)
    refused(full, "'1001' appears twice")


def test_a_registry_field_without_a_number_is_refused(plain: dict[str, Any]) -> None:
    del plain["precincts"][0]["number"]
    refused(plain, "missing field 'number'")

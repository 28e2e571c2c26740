"""The election definition (TOML): the examples load; every bad definition is refused with
the file, the line and the dotted field path of each problem."""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from host_tools.election.definition import (
    SCHEMA_FILE,
    DefinitionError,
    dotted,
    key_lines,
    load_definition,
)
from terminal.ballot.election import ContestKind, ElectionKind, Role, TerritoryKind
from tests.unit.conftest import fuzz

REPO = Path(__file__).resolve().parents[2]
KG = REPO / "examples" / "kg-local.toml"
KZ = REPO / "examples" / "kz-akim.toml"


@pytest.fixture(autouse=True)
def logos_beside(tmp_path: Path) -> None:
    """The example's party logos, which it names relative to itself, beside the copies of it
    the tests write."""
    shutil.copytree(REPO / "examples" / "logos", tmp_path / "logos")


def refused(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "def.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_definition(path)
    problems = caught.value.problems
    assert problems and all(p.startswith(str(path)) for p in problems), problems
    return problems


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The line number of the `occurrence`-th line containing `needle`."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return found[occurrence - 1]


def test_the_kg_local_example_is_a_local_council_election_in_two_districts() -> None:
    d = load_definition(KG)
    assert d.spec.kind is ElectionKind.LOCAL_COUNCIL and d.spec.country == "KG"
    districts = [t for t in d.spec.territories if t.kind is TerritoryKind.DISTRICT]
    assert len(districts) >= 2 and len(d.precincts) >= 4
    assert {p.district for p in d.precincts} == {t.id for t in districts}
    (contest,) = d.spec.contests
    assert contest.kind is ContestKind.PARTY_LIST
    assert [ch.ballot_number for ch in contest.choices] == [1, 2, 3]
    assert all(ch.party is not None and "ky" in ch.names for ch in contest.choices)
    flagged = {p.number: (p.restricted_access, p.new) for p in d.precincts}
    assert flagged["1002"] == (True, False) and flagged["1102"] == (False, True)
    desk = next(p for p in d.precincts if len(p.terminals) == 2)
    assert [t.role for t in desk.terminals] == [Role.IDENTIFY, Role.VOTE]
    assert desk.terminals[1].booth == 1


def test_the_kz_akim_example_has_one_candidate_contest_with_against_all() -> None:
    d = load_definition(KZ)
    assert d.spec.kind is ElectionKind.AKIM and d.spec.identification.countries == ("KAZ",)
    (contest,) = d.spec.contests
    assert contest.kind is ContestKind.ONE_OF
    assert [ch.against_all for ch in contest.choices] == [False, False, True]
    assert all("kk" in ch.names for ch in contest.choices)


def schema() -> dict[str, Any]:
    value: dict[str, Any] = json.loads(SCHEMA_FILE.read_text())
    return value


def _blocks(text: str, header: str) -> list[tuple[int, int]]:
    """(first line index, end index) of each `header` table in `text`'s lines."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == header]
    result = []
    for start in starts:
        end = start + 1
        while end < len(lines) and not lines[end].strip().startswith("[["):
            end += 1
        result.append((start, end))
    return result


def without_key(text: str, header: str | None, key: str) -> str:
    """`text` with the line `key = ...` removed from the first `header` table (or the top)."""
    lines = text.splitlines()
    if header is None:
        start, end = 0, next(i for i, line in enumerate(lines) if line.startswith("["))
    else:
        start, end = _blocks(text, header)[0]
    for index in range(start, end):
        if re.match(rf"^\s*{re.escape(key)}\s*=", lines[index]):
            del lines[index]
            return "\n".join(lines) + "\n"
    raise AssertionError(f"{key} not found under {header}")


REQUIRED = [
    (None, "", "#"),
    ("[[precincts]]", "precincts[0]", "#/properties/precincts/items"),
    ("[[districts]]", "districts[0]", "#/properties/districts/items"),
    ("[[regions]]", "regions[0]", "#/properties/regions/items"),
    ("[[parties]]", "parties[0]", "#/properties/parties/items"),
    ("[[contests]]", "contests[0]", "#/properties/contests/items"),
    (
        "[[contests.choices]]",
        "contests[0].choices[0]",
        "#/properties/contests/items/properties/choices/items",
    ),
]


def _required(pointer: str) -> list[str]:
    node: Any = schema()
    for part in pointer.removeprefix("#").strip("/").split("/"):
        if part:
            node = node[part]
    return list(node["required"])


@pytest.mark.parametrize(("header", "where", "pointer"), REQUIRED)
def test_every_required_field_missing_in_turn_is_named_with_its_line(
    tmp_path: Path, header: str | None, where: str, pointer: str
) -> None:
    text = KG.read_text()
    tables = {"names", "keys", "regions", "districts", "precincts", "contests", "choices"}
    for key in _required(pointer):
        if header is None and key in tables:
            continue  # a table, not a `key =` line: below
        if header is not None and key in ("choices",):
            continue
        problems = refused(tmp_path, without_key(text, header, key))
        message = f"missing field {key!r}"
        match = [p for p in problems if message in p]
        assert match, (key, problems)
        if where:
            assert f": {where}: " in match[0], match[0]
            # The line is the table's header line.
            assert re.search(rf":\d+: {re.escape(where)}:", match[0]), match[0]


@pytest.mark.parametrize("table", ["names", "keys"])
def test_a_missing_top_level_table_is_named(tmp_path: Path, table: str) -> None:
    text = KG.read_text()
    start = text.index(f"[{table}]\n")
    end = text.index("\n[", start + 1)
    problems = refused(tmp_path, text[:start] + text[end + 1 :])
    assert any(f"(top level): missing field {table!r}" in p for p in problems), problems


@pytest.mark.parametrize("array", ["regions", "districts", "precincts", "contests"])
def test_a_missing_array_of_tables_is_named(tmp_path: Path, array: str) -> None:
    lines = KG.read_text().splitlines()
    kept, skipping = [], False
    for line in lines:
        if line.strip().startswith("[["):
            skipping = line.strip() in (f"[[{array}]]", "[[contests.choices]]") and (
                array == "contests" or line.strip() == f"[[{array}]]"
            )
        if not skipping:
            kept.append(line)
    problems = refused(tmp_path, "\n".join(kept) + "\n")
    assert any(f"missing field {array!r}" in p for p in problems), problems


WRONG_TYPES = [
    ("voters_on_list = 40", 'voters_on_list = "40"', "precincts[0].voters_on_list", "whole number"),
    (
        "restricted_access = true",
        'restricted_access = "yes"',
        "precincts[1].restricted_access",
        "true or false",
    ),
    ('number = "1001"', "number = 1001", "precincts[0].number", "text in quotes"),
    ("threshold = 2", "threshold = 2.5", "keys.threshold", "whole number"),
    ('polls_open = "08:00"', 'polls_open = "8 am"', "polls_open", "HH:MM"),
    ('timezone = "+06:00"', 'timezone = "Asia/Bishkek"', "timezone", "UTC offset"),
    ('kind = "local_council"', 'kind = "mayor"', "kind", "presidential"),
    ('kind = "party_list"', 'kind = "ranked"', "contests[0].kind", "one_of"),
    ('role = "combined"', 'role = "admin"', "precincts[0].terminals[0].role", "identify"),
    ("date = 2027-04-11", 'date = "11.04.2027"', "date", "YYYY-MM-DD"),
    ('mode = "official"', 'mode = "practice"', "mode", "official, test"),
    ('country = "KG"', 'country = "RU"', "country", "KG, KZ"),
    ('code = "P-1001"', 'code = "P 1001"', "precincts[0].code", "not a valid id"),
    (
        "ballot_number = 1",
        "ballot_number = 0",
        "contests[0].choices[0].ballot_number",
        "at least 1",
    ),
    ('address = "Бишкек, ул. Киевская, 96"', 'address = ""', "precincts[0].address", "empty"),
    ("[names]\nky =", '[names]\nde = "Wahl"\nky =', "names", "unknown field 'de'"),
]


@pytest.mark.parametrize(("old", "new", "where", "message"), WRONG_TYPES)
def test_wrong_values_are_refused_at_their_line(
    tmp_path: Path, old: str, new: str, where: str, message: str
) -> None:
    text = KG.read_text()
    assert old in text
    changed = text.replace(old, new, 1)
    problems = refused(tmp_path, changed)
    match = [p for p in problems if f": {where}: " in p and message in p]
    assert match, problems
    first_new_line = new.splitlines()[-1] if "\n" in new else new
    expected_line = (
        line_of(changed, first_new_line) if where != "names" else line_of(changed, "[names]")
    )
    assert f"def.toml:{expected_line}: " in match[0], (expected_line, match[0])


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        ('code = "P-1002"', 'code = "P-1001"', "precincts[1].code", "'P-1001' appears twice"),
        ('number = "1101"', 'number = "1001"', "precincts[2].number", "'1001' appears twice"),
        ('id = "D-SVERDLOV"', 'id = "D-LENIN"', "districts[1].id", "'D-LENIN' appears twice"),
        ('id = "birdik"', 'id = "ala-too"', "parties[1].id", "appears twice"),
        ("number = 2\n", "number = 1\n", "parties[1].number", "'1' appears twice"),
        ('id = "list-birdik"', 'id = "list-ala-too"', "contests[0].choices[1].id", "appears twice"),
        ('id = "T-1002-01"', 'id = "T-1001-01"', "precincts[1].terminals[0].id", "appears twice"),
        ('id = "D-LENIN"', 'id = "R-BISHKEK"', "districts[0].id", "also a region"),
    ],
)
def test_duplicate_ids_are_refused_naming_both(
    tmp_path: Path, old: str, new: str, where: str, message: str
) -> None:
    problems = refused(tmp_path, KG.read_text().replace(old, new, 1))
    assert any(f": {where}: " in p and message in p for p in problems), problems


def test_a_precinct_over_three_thousand_voters_is_refused(tmp_path: Path) -> None:
    text = KG.read_text().replace("voters_on_list = 35", "voters_on_list = 3001")
    (problem,) = refused(tmp_path, text)
    line = line_of(text, "voters_on_list = 3001")
    assert problem.endswith(
        f"def.toml:{line}: precincts[2].voters_on_list: 3001 voters: a precinct has at most "
        "3000 (the voter-list rules, item 15); split it"
    )
    text = KG.read_text().replace("voters_on_list = 35", "voters_on_list = 3000")
    (tmp_path / "ok.toml").write_text(text)
    # 3,000 is allowed by the definition (the synthetic register is not made here).
    assert load_definition(tmp_path / "ok.toml").precincts[2].voters_on_list == 3000


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        (
            'district = "D-SVERDLOV"',
            'district = "D-OSH"',
            "precincts[2].district",
            "'D-OSH' is not in [[districts]]",
        ),
        (
            'region = "R-BISHKEK"',
            'region = "R-OSH"',
            "districts[0].region",
            "'R-OSH' is not in [[regions]]",
        ),
        (
            'party = "kelechek"',
            'party = "ata-jurt"',
            "contests[0].choices[2].party",
            "'ata-jurt' is not in [[parties]]",
        ),
        (
            'register = "synthetic"',
            'register = "lists/nowhere.csv"',
            "precincts[0].register",
            "no such file",
        ),
    ],
)
def test_unknown_references_are_refused(
    tmp_path: Path, old: str, new: str, where: str, message: str
) -> None:
    text = KG.read_text().replace(old, new, 1)
    problems = refused(tmp_path, text)
    match = [p for p in problems if f": {where}: " in p and message in p]
    assert match, problems
    assert f"def.toml:{line_of(text, new)}: " in match[0]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('polls_close = "20:00"', 'polls_close = "07:00"', "close after they open"),
        ("threshold = 2", "threshold = 4", "more cards needed than there are members"),
        ('{ id = "T-1102-B1", role = "vote", booth = 1 },', "", "needs at least one booth"),
        (
            '{ id = "T-1001-01", role = "combined" }',
            '{ id = "T-1001-01", role = "combined", booth = 2 }',
            "only a vote terminal",
        ),
        ('kind = "party_list"', 'kind = "referendum"', "a referendum has two answers"),
        ("restricted_access = true", "abolished = true", "an abolished precinct has no terminals"),
    ],
)
def test_rules_beyond_the_schema_are_refused(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    problems = refused(tmp_path, KG.read_text().replace(old, new, 1))
    assert any(message in p for p in problems), problems


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = (
        KG.read_text()
        .replace("voters_on_list = 40", 'voters_on_list = "40"')
        .replace('country = "KG"', 'country = "XX"')
    )
    problems = refused(tmp_path, text)
    assert len(problems) == 2


def test_toml_syntax_errors_give_the_parsers_line(tmp_path: Path) -> None:
    text = KG.read_text().replace('address = "Бишкек, ул. Фучика, 15"', 'address = "Бишкек')
    (problem,) = refused(tmp_path, text)
    line = text.splitlines().index('address = "Бишкек') + 1
    assert f"def.toml:{line}: not valid TOML" in problem


def test_not_utf8_and_unreadable_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "def.toml"
    path.write_bytes(
        KG.read_text().encode("utf-8").replace("Бишкек".encode(), "Бишкек".encode("cp1251"), 1)
    )
    with pytest.raises(DefinitionError, match=r"def.toml:\d+: not UTF-8"):
        load_definition(path)
    with pytest.raises(DefinitionError, match="cannot be read"):
        load_definition(tmp_path / "missing.toml")
    with pytest.raises(DefinitionError, match="cannot be read"):
        load_definition(tmp_path)


def test_key_lines_follow_arrays_of_tables_and_inline_keys() -> None:
    text = KG.read_text()
    lines = key_lines(text)
    data = tomllib.loads(text)
    assert len(data["precincts"]) == 4
    assert lines[("precincts", 3)] == line_of(text, "[[precincts]]", 4)
    assert lines[("precincts", 3, "voters_on_list")] == line_of(text, "voters_on_list = 30")
    assert lines[("contests", 0, "choices", 2, "party")] == line_of(text, 'party = "kelechek"')
    assert lines[("names",)] == line_of(text, "[names]")
    assert dotted(("contests", 0, "choices", 2, "party")) == "contests[0].choices[2].party"


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@fuzz(150)
@given(st.data())
def test_a_definition_changed_anywhere_loads_or_is_refused_with_a_place(
    fuzz_dir: Path, data: st.DataObject
) -> None:
    """One line of the example replaced by random text, or one value by a random TOML value:
    either a definition (checked again: it loads) or a DefinitionError whose every problem
    names the file — never any other exception."""
    text = KG.read_text()
    lines = text.splitlines()
    index = data.draw(st.integers(0, len(lines) - 1))
    if data.draw(st.booleans()) and "=" in lines[index]:
        key = lines[index].split("=", 1)[0]
        value = data.draw(
            st.one_of(
                st.integers(-(2**70), 2**70).map(str),
                st.text(max_size=20).map(lambda t: json.dumps(t)),
                st.sampled_from(["true", "[]", "{}", "1.5", "2027-04-11", "08:00:00", '"x"']),
            )
        )
        lines[index] = f"{key}= {value}"
    else:
        lines[index] = data.draw(st.text(max_size=40))
    path = fuzz_dir / "def.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", errors="surrogatepass")
    try:
        load_definition(path)
    except DefinitionError as exc:
        assert exc.problems and all(p.startswith(str(path)) for p in exc.problems)


ABOLISHED = """
[[precincts]]
code = "P-1199"
number = "1199"
district = "D-SVERDLOV"
names = { ru = "Избирательный участок №1199" }
premises = { ru = "Бывшая школа" }
address = "Бишкек, ул. Старая, 1"
abolished = true
voters_on_list = 0
register = "synthetic"
terminals = []
"""


def test_an_abolished_precinct_stays_in_the_registry_without_voters_or_terminals(
    tmp_path: Path,
) -> None:
    path = tmp_path / "def.toml"
    path.write_text(KG.read_text() + ABOLISHED)
    abolished = load_definition(path).precincts[-1]
    assert abolished.abolished and abolished.terminals == () and abolished.voters_on_list == 0
    problems = refused(tmp_path, KG.read_text() + ABOLISHED.replace("abolished = true\n", ""))
    assert any(
        "precincts[4].terminals: a precinct needs at least one terminal" in p for p in problems
    )
    text = KG.read_text().replace("voters_on_list = 40", "voters_on_list = 0")
    assert any("only an abolished precinct has no voters" in p for p in refused(tmp_path, text))


MULTI = REPO / "examples" / "kz-multi.toml"


def test_ballots_are_verifiable_by_default_wherever_one_fits_a_slot(tmp_path: Path) -> None:
    # The examples name no format: the party list and the akim ballot fit a 4 KiB slot, the
    # 30-choice maslikhat ballot (about 10 KB verifiable) does not and stays sealed.
    assert load_definition(KG).spec.ballot_format == 2
    assert load_definition(KZ).spec.ballot_format == 2
    assert load_definition(MULTI).spec.ballot_format == 1
    sealed = tmp_path / "sealed.toml"
    sealed.write_text(
        KG.read_text().replace('mode = "official"', 'mode = "official"\nballot_format = 1')
    )
    assert load_definition(sealed).spec.ballot_format == 1


def test_a_verifiable_ballot_too_large_for_its_slot_is_refused_at_its_line(
    tmp_path: Path,
) -> None:
    text = MULTI.read_text().replace('mode = "official"', 'mode = "official"\nballot_format = 2')
    (problem,) = refused(tmp_path, text)
    line = line_of(text, "ballot_format = 2")
    assert f"def.toml:{line}: ballot_format: a verifiable ballot of these contests is " in problem
    assert "more than a 4 KiB slot holds (4090): fewer choices, or ballot_format = 1" in problem
    text = KG.read_text().replace('mode = "official"', 'mode = "official"\nballot_format = 3')
    (problem,) = refused(tmp_path, text)
    assert f"def.toml:{line_of(text, 'ballot_format = 3')}: ballot_format: " in problem

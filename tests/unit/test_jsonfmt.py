"""Strict JSON in, canonical JSON out: the base of every signed format."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terminal.jsonfmt import FormatError, canonical_json, load_object
from tests.unit.conftest import fuzz, json_objects


@pytest.mark.parametrize(
    "data",
    [
        b'{"a":1,"a":2}',
        b'{"a":{"b":1,"b":1}}',
        b'{"a":[{"x":1,"x":2}]}',
        b'{"a":NaN}',
        b'{"a":Infinity}',
        b'{"a":-Infinity}',
        b"[]",
        b'"text"',
        b"1",
        b"null",
        b"",
        b"{",
        b'{"a":1} {"b":2}',
        '{"a":"é"}'.encode("latin-1"),
        b"\xef\xbb\xbf{}",  # a byte-order mark is not part of JSON text
        '{"a":"x"}'.encode("utf-16"),
        b'{"a":"\\ud800"}',  # a lone surrogate is not text
        b'{"\\udc00":1}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_malformed_input_is_a_format_error_naming_the_source(data: bytes) -> None:
    with pytest.raises(FormatError, match=r"^bundle/x\.json: "):
        load_object(data, "bundle/x.json")


def test_a_valid_object_reads_with_typed_fields() -> None:
    f = load_object('{"n":3,"s":"ы","b":true,"o":{"k":"v"},"h":"00ff","l":[1]}'.encode(), "x")
    assert (f.int("n"), f.str("s"), f.bool("b"), f.list("l")) == (3, "ы", True, [1])
    assert f.obj("o").str("k") == "v"
    assert f.hex("h", 2) == b"\x00\xff"
    assert f.strings("o") == {"k": "v"}


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda f: f.int("b"), "'b' must be a whole number"),  # true is not a number
        (lambda f: f.int("n", 4), "'n' must be at least 4"),
        (lambda f: f.int("f"), "'f' must be a whole number"),
        (lambda f: f.str("n"), "'n' must be a string"),
        (lambda f: f.bool("n"), "'n' must be true or false"),
        (lambda f: f.str("missing"), "missing field 'missing'"),
        (lambda f: f.hex("s", 2), "'s' must be hexadecimal"),
        (lambda f: f.hex("h", 3), "'h' must be 3 bytes"),
        (lambda f: f.objects("l"), r"x\.l\[0\]: must be an object"),
        (lambda f: f.strings("o"), r"x\.o\.k: must be a string"),
        (lambda f: f.obj("o").str("z"), r"x\.o: missing field 'z'"),
    ],
)
def test_field_errors_say_where(call: Any, match: str) -> None:
    f = load_object(b'{"n":3,"b":true,"f":1.5,"s":"zz","h":"00ff","l":[1],"o":{"k":1}}', "x")
    with pytest.raises(FormatError, match=match):
        call(f)


def test_canonical_json_is_sorted_compact_utf8_with_a_final_newline() -> None:
    value = {"b": 1, "a": [1, {"z": None, "y": "ы"}], "c": True}
    assert canonical_json(value) == '{"a":[1,{"y":"ы","z":null}],"b":1,"c":true}\n'.encode()
    reordered = {"c": True, "a": [1, {"y": "ы", "z": None}], "b": 1}
    assert canonical_json(reordered) == canonical_json(value)


@fuzz(100)
@given(json_objects)
def test_canonical_json_reads_back_to_the_same_bytes(value: dict[str, Any]) -> None:
    data = canonical_json(value)
    parsed = load_object(data, "x").value
    assert parsed == json.loads(data)
    assert canonical_json(parsed) == data


@fuzz(200)
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_format_error(data: bytes) -> None:
    try:
        fields = load_object(data, "x")
    except FormatError:
        return
    assert isinstance(fields.value, dict)

"""Strict JSON reading and canonical writing for every format the terminal signs or reads.

Readers take untrusted bytes: every field is checked for presence and type, and every
error names the file and the field, so that an auditor knows what to look at.
"""

from __future__ import annotations

import builtins
import json
import re
from typing import Any, TypeVar

T = TypeVar("T")


class FormatError(ValueError):
    """Input that is not in the expected format; the message names the source and field."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


# Made once: json.dumps and json.loads build a new coder on every call given any option, and
# the host verifies millions of log lines.
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
# A lone surrogate can only come from an escape: valid UTF-8 never encodes one.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def canonical_json(value: Any) -> bytes:
    """UTF-8 JSON with sorted keys and no insignificant white space, plus a final newline."""
    return (_ENCODER.encode(value) + "\n").encode("utf-8")


def load_object(data: bytes, source: str) -> Fields:
    """Parse `data` as one JSON object; duplicate keys, NaN and non-UTF-8 are errors."""

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                raise ValueError(f"duplicate key {key!r}")
            result[key] = value
        return result

    try:
        text = data.decode("utf-8")
        value = json.loads(text, object_pairs_hook=no_duplicates, parse_constant=_reject_constant)
        # An escaped lone surrogate ("\ud800") parses but is not text: it cannot be written
        # back as UTF-8 (canonical_json), so refuse it here (UnicodeEncodeError is a ValueError).
        if _SURROGATE_ESCAPE.search(text):
            json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FormatError(f"{source}: not valid JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise FormatError(f"{source}: expected a JSON object")
    return Fields(value, source)


def load_canonical(line: bytes, source: str) -> dict[str, Any]:
    """Parse one JSON object that must be in canonical form (canonical_json without its
    final newline). Writing the value back and comparing refuses, besides any other
    spelling, duplicate keys and lone surrogates, so no separate checks are needed."""
    try:
        value = _DECODER.decode(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FormatError(f"{source}: not valid JSON ({exc})") from exc
    if not isinstance(value, dict):
        raise FormatError(f"{source}: expected a JSON object")
    try:
        canonical = _ENCODER.encode(value).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise FormatError(f"{source}: not valid JSON ({exc})") from exc
    if canonical != line:
        raise FormatError(f"{source}: not in canonical form")
    return value


class Fields:
    """Typed access to the fields of one JSON object, with errors that say where."""

    def __init__(self, value: dict[builtins.str, Any], where: builtins.str) -> None:
        self.value = value
        self.where = where

    def _get(self, key: builtins.str, kind: type[T], what: builtins.str) -> T:
        if key not in self.value:
            raise FormatError(f"{self.where}: missing field {key!r}")
        item = self.value[key]
        # bool is an int in Python; a count given as true is still an error.
        if not isinstance(item, kind) or (kind is int and isinstance(item, bool)):
            raise FormatError(f"{self.where}: field {key!r} must be {what}")
        return item

    def str(self, key: builtins.str) -> builtins.str:
        return self._get(key, str, "a string")

    def int(self, key: builtins.str, minimum: builtins.int = 0) -> builtins.int:
        number = self._get(key, int, "a whole number")
        if number < minimum:
            raise FormatError(f"{self.where}: field {key!r} must be at least {minimum}")
        return number

    def bool(self, key: builtins.str) -> builtins.bool:
        return self._get(key, bool, "true or false")

    def obj(self, key: builtins.str) -> Fields:
        return Fields(self._get(key, dict, "an object"), f"{self.where}.{key}")

    def list(self, key: builtins.str) -> builtins.list[Any]:
        return self._get(key, list, "a list")

    def objects(self, key: builtins.str) -> builtins.list[Fields]:
        items = self.list(key)
        result: builtins.list[Fields] = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise FormatError(f"{self.where}.{key}[{index}]: must be an object")
            result.append(Fields(item, f"{self.where}.{key}[{index}]"))
        return result

    def strings(self, key: builtins.str) -> dict[builtins.str, builtins.str]:
        """An object whose values are all strings (e.g. names by language)."""
        mapping = self._get(key, dict, "an object")
        for name, item in mapping.items():
            if not isinstance(item, str):
                raise FormatError(f"{self.where}.{key}.{name}: must be a string")
        return dict(mapping)

    def hex(self, key: builtins.str, size: builtins.int) -> bytes:
        text = self.str(key)
        try:
            raw = bytes.fromhex(text)
        except ValueError as exc:
            raise FormatError(f"{self.where}: field {key!r} must be hexadecimal") from exc
        if len(raw) != size:
            raise FormatError(f"{self.where}: field {key!r} must be {size} bytes")
        return raw

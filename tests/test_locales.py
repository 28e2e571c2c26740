"""The gettext catalogs: every message of the code is translated in Kyrgyz, Russian and Kazakh,
with the same placeholders, no fuzzy guesses, the languages' own letters, and catalogs that
compile and load. English is the source language: its catalog stays empty (msgid fallback).

The template is extracted afresh from the code, as scripts/update-locales.sh does, so a new
message fails here until the script is run and the message is translated.
"""

from __future__ import annotations

import gettext
import string
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("babel", reason="babel (a development tool) extracts and compiles catalogs")

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "terminal" / "locale"
DOMAIN = "tamga"
TRANSLATED = ("ky", "ru", "kk")
LANGUAGES = (*TRANSLATED, "en")
# The keywords of scripts/update-locales.sh: the gettext functions the code calls.
KEYWORDS = ("_w", "_v", "w", "t", "N_", "_", "gettext")

KYRGYZ_LETTERS = set("ңөүҢӨҮ")
# Kazakh letters that Kyrgyz does not have (ң ө ү are shared by both).
KAZAKH_LETTERS = set("әғқұһіӘҒҚҰҺІ")


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The message template, extracted now from the code."""
    pot = tmp_path_factory.mktemp("pot") / f"{DOMAIN}.pot"
    keywords = [arg for k in KEYWORDS for arg in ("-k", k)]
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            *keywords,
            "--no-location",
            "--sort-output",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    with pot.open("rb") as f:
        catalog = read_po(f)
    assert len([m for m in catalog if m.id]) > 50, "extraction found hardly any messages"
    return catalog


def _catalog(lang: str) -> Catalog:
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    assert path.is_file(), f"{path} is missing: run scripts/update-locales.sh"
    with path.open("rb") as f:
        return read_po(f, locale=lang)


def _ids(catalog: Catalog) -> list[str]:
    return [m.id for m in catalog if m.id and isinstance(m.id, str)]


def _placeholders(text: str) -> Counter[tuple[str, str, str]]:
    """Every replacement field of a str.format text: (name, conversion, format spec)."""
    return Counter(
        (name, conversion or "", spec or "")
        for _literal, name, spec, conversion in string.Formatter().parse(text)
        if name is not None
    )


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated(template: Catalog, lang: str) -> None:
    catalog = _catalog(lang)
    missing = [i for i in _ids(template) if catalog.get(i) is None or not catalog.get(i).string]
    assert not missing, f"{lang}: untranslated (run scripts/update-locales.sh): {missing}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_fuzzy_entries(lang: str) -> None:
    fuzzy = [m.id for m in _catalog(lang) if m.id and m.fuzzy]
    assert not fuzzy, f"{lang}: fuzzy entries: {fuzzy}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_placeholders_are_kept(template: Catalog, lang: str) -> None:
    catalog = _catalog(lang)
    wrong = []
    for msgid in _ids(template):
        message = catalog.get(msgid)
        if message is None or not message.string:
            continue  # reported by test_every_message_is_translated
        try:
            same = _placeholders(message.string) == _placeholders(msgid)
        except ValueError:  # a stray brace: str.format would raise on the screen
            same = False
        if not same:
            wrong.append(f"{msgid!r} -> {message.string!r}")
    assert not wrong, f"{lang}: placeholders differ: {wrong}"


def test_english_is_the_source_language() -> None:
    """English falls back to the msgid: a msgstr there may only repeat it."""
    changed = [m.id for m in _catalog("en") if m.id and m.string and m.string != m.id]
    assert not changed, f"en: msgstr differs from msgid: {changed}"


def _text(lang: str) -> str:
    return "".join(m.string for m in _catalog(lang) if m.id and isinstance(m.string, str))


def test_kyrgyz_and_kazakh_use_their_own_letters() -> None:
    kyrgyz, kazakh, russian = _text("ky"), _text("kk"), _text("ru")
    assert KYRGYZ_LETTERS & set(kyrgyz), "ky: no ң ө ү anywhere: a Russian copy?"
    assert not KAZAKH_LETTERS & set(kyrgyz), "ky: Kazakh letters in the Kyrgyz catalog"
    assert KAZAKH_LETTERS & set(kazakh), "kk: no ә ғ қ ұ һ і anywhere: a Russian or Kyrgyz copy?"
    assert not (KYRGYZ_LETTERS | KAZAKH_LETTERS) & set(russian), "ru: Kyrgyz or Kazakh letters"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalog_loads(tmp_path: Path, lang: str) -> None:
    catalog = _catalog(lang)
    target = tmp_path / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    target.parent.mkdir(parents=True)
    with target.open("wb") as f:
        write_mo(f, catalog)
    translation = gettext.translation(DOMAIN, tmp_path, languages=[lang])
    for msgid in _ids(catalog):
        message = catalog.get(msgid)
        # write_mo leaves fuzzy entries out (test_no_fuzzy_entries reports them).
        expected = message.string if message.string and not message.fuzzy else msgid
        assert translation.gettext(msgid) == expected

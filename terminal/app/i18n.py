"""Translations for voters and poll workers: gettext catalogs in Kyrgyz, Russian, Kazakh, English.

Message ids are the English texts; the catalogs live in terminal/locale/<lang>/LC_MESSAGES/
tamga.po and are compiled to .mo by `make locales`.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "tamga"
VOTER_LANGUAGES = ("ky", "ru", "kk", "en")
LANGUAGE_NAMES = {"ky": "Кыргызча", "ru": "Русский", "kk": "Қазақша", "en": "English"}

Gettext = Callable[[str], str]


@cache
def translator(language: str) -> Gettext:
    """The gettext function of a language; English is the source language."""
    if language == "en":
        return gettext.NullTranslations().gettext
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language]).gettext


def N_(message: str) -> str:
    """Mark a message for extraction where it is translated later (at display time)."""
    return message


def every_language(message: str) -> tuple[str, ...]:
    """A message in each voter language, for screens a voter sees before choosing one."""
    return tuple(translator(language)(message) for language in VOTER_LANGUAGES)

"""The host tools' own message catalogs (gettext domain `tamga-host`, in host_tools/locale):
Russian, Kyrgyz and Kazakh for the headings and errors a commission's staff read. The
language is the operator's locale (LANGUAGE, LC_ALL, LC_MESSAGES or LANG, as gettext reads
them); English, the source language, when no catalog matches."""

from __future__ import annotations

import gettext
from pathlib import Path

DOMAIN = "tamga-host"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"


def _(message: str) -> str:
    """`message` in the operator's language (looked up at each call: tests switch locales)."""
    return gettext.translation(DOMAIN, LOCALE_DIR, fallback=True).gettext(message)

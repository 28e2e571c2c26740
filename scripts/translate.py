"""Fill in translations for new messages: `python scripts/translate.py FILE.json`.

FILE.json maps each English message to {"ky": ..., "ru": ..., "kk": ...}. Existing
translations are kept; catalogs are rewritten through babel so their layout stays stable.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

LOCALES = Path(__file__).resolve().parent.parent / "terminal" / "locale"


def main(path: str) -> int:
    table = json.loads(Path(path).read_text(encoding="utf-8"))
    for language in ("ky", "ru", "kk"):
        po = LOCALES / language / "LC_MESSAGES" / "tamga.po"
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        for english, texts in table.items():
            message = catalog.get(english)
            if message is None:
                print(f"{language}: {english!r} is not in the catalog", file=sys.stderr)
                return 1
            if not message.string:
                message.string = texts[language]
        with po.open("wb") as handle:
            write_po(handle, catalog, width=100, omit_header=False, no_location=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

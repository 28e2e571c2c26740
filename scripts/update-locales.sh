#!/usr/bin/env bash
# Re-extract the message template terminal/locale/tamga.pot from the terminal's code, then
# bring the catalogs terminal/locale/<lang>/LC_MESSAGES/tamga.po of every language in line
# with it (`pybabel update`, or `pybabel init` for a catalog that does not exist yet).
# New messages arrive with an empty msgstr for the translators; no fuzzy guesses are made.
#
#   scripts/update-locales.sh
#
# Idempotent: when the code's messages have not changed, no file changes (not even the
# template's POT-Creation-Date). tests/test_locales.py fails until every message is translated.
set -euo pipefail
cd "$(dirname "$0")/.."

PYBABEL=${PYBABEL:-.venv/bin/pybabel}
LOCALE_DIR=terminal/locale
DOMAIN=tamga
TEMPLATE=$LOCALE_DIR/$DOMAIN.pot
LANGUAGES=(ky ru kk en)

fresh=$(mktemp "${TMPDIR:-/tmp}/tamga-pot.XXXXXX")
trap 'rm -f "$fresh"' EXIT

"$PYBABEL" -q extract -F babel.cfg -k _w -k _v -k w -k t -k N_ -k _ -k gettext \
    --no-location --sort-output -o "$fresh" .

# Keep the old template when only its creation date would change.
without_date() { grep -v '^"POT-Creation-Date: ' "$1"; }
if [ -f "$TEMPLATE" ] && cmp -s <(without_date "$TEMPLATE") <(without_date "$fresh"); then
    echo "template $TEMPLATE: unchanged"
else
    cp "$fresh" "$TEMPLATE"
    echo "template $TEMPLATE: updated"
fi

for lang in "${LANGUAGES[@]}"; do
    catalog=$LOCALE_DIR/$lang/LC_MESSAGES/$DOMAIN.po
    if [ -f "$catalog" ]; then
        "$PYBABEL" -q update -D "$DOMAIN" -i "$TEMPLATE" -d "$LOCALE_DIR" -l "$lang" \
            --no-fuzzy-matching --ignore-pot-creation-date
    else
        "$PYBABEL" -q init -D "$DOMAIN" -i "$TEMPLATE" -d "$LOCALE_DIR" -l "$lang"
    fi
done


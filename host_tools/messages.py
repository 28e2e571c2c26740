"""The messages of the commands after the polls (collect, status, results, report), in the
languages commissions work in: ru, ky, kk (and en, the source language).

They are in the host tools' gettext catalogs (domain tamga-host, host_tools/locale, shared
with the election commands: host_tools/election/messages.py); here each message's key names
its English msgid, so a command says `message("counted", language, ...)`. `--lang` picks the
language, Russian by default (the language every KG and KZ commission works in besides the
state language). Technical details inside a message (a verification failure naming a file)
stay as the verifier wrote them.
"""

from __future__ import annotations

import argparse
import gettext
from functools import cache

from host_tools.election.messages import DOMAIN, LOCALE_DIR

LANGUAGES = ("ru", "ky", "kk", "en")
DEFAULT_LANGUAGE = "ru"

MESSAGES: dict[str, str] = {
    "error": "error",
    "db_error": "error: results database: {detail}",
    "package_error": "error: election package: {detail}",
    "act_error": "error: acceptance-transfer act: {detail}",
    "progress": "results bundles",
    "counted": "COUNTED {path}: terminal {terminal}, precinct {precinct}, {ballots} ballots",
    "same_results": "AGAIN {path}: terminal {terminal} exported the same results again; "
    "counted once",
    "already": "ALREADY IN {path}: this bundle was collected before",
    "conflict": "CONFLICT {reason}",
    "failed": "FAILED {reason}",
    "summary": "Total: counted {counted}, same results again {same}, already in {already}, "
    "conflicts {conflict}, failed {failed}",
    "interrupted": "interrupted: {done} bundles imported whole, the rest not at all; "
    "run collect again",
    "test_election": "*** TEST ELECTION: test results, never official ***",
    "in": "in",
    "missing": "missing",
    "in_conflict": "in conflict",
    "failed_short": "failed verification",
    "region": "Region",
    "district": "District",
    "precinct": "Precinct",
    "terminal": "Terminal",
    "total": "Total",
    "no_district": "(no district)",
    "status_line": "{unit}: {precincts} precincts; in {done}, missing {missing}, "
    "in conflict {conflict}, failed {failed}",
    "turnout": "Turnout",
    "votes": "votes",
    "blank": "No selection",
    "voters_on_list": "Voters on the list",
    "ballots_issued": "Ballots issued",
    "ballots_cast": "Ballots cast",
    "ballots_void": "Ballots void",
    "precincts_reported": "Precincts reported: {done} of {all}",
    "written": "written: {path}",
    "empty_db": "the database holds no election yet: run collect first",
}


@cache
def _catalog(language: str) -> gettext.NullTranslations:
    # English is the msgid itself; a missing catalog (no `make locales` yet) falls back to it.
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def message(key: str, language: str, **values: object) -> str:
    """The message `key` in `language`, filled in."""
    return _catalog(language).gettext(MESSAGES[key]).format(**values)


def add_language_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=DEFAULT_LANGUAGE,
        help="language of the messages: ru (default), ky, kk or en",
    )

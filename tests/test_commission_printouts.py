"""What a commission signs is bilingual (state language and Russian), states when the polls
opened and closed and the turnout, and has a line to sign for each commission member."""

from __future__ import annotations

import dataclasses
import datetime as dt

from terminal.app import printouts
from terminal.app.printouts import commission_languages, in_languages, protocol
from tests.test_printouts import NOW, protocol_printout


def test_the_state_language_comes_first_then_russian() -> None:
    assert commission_languages("KG") == ("ky", "ru")
    assert commission_languages("KZ") == ("kk", "ru")
    assert in_languages(("kk", "ru"))("Turnout") == "Келу / Явка"
    assert in_languages(("ky", "ru"))("Secretary") == "Катчы / Секретарь"
    names = {"ru": "Против всех", "kk": "Барлығына қарсымын"}
    assert printouts.named_in(names, ("kk", "ru")) == "Барлығына қарсымын / Против всех"
    assert printouts.named_in({"ru": "Да"}, ("ky", "ru")) == "Да"  # printed once


def test_the_protocol_states_times_turnout_and_has_signature_lines() -> None:
    asked: list[str] = []

    def recording(message: str) -> str:
        asked.append(message)
        return in_languages(("ky", "ru"))(message)

    printout, _ = protocol_printout()
    timed = dataclasses.replace(
        printout, opened_at=NOW - dt.timedelta(hours=12), closed_at=NOW - dt.timedelta(hours=1)
    )
    image = protocol(timed, recording)
    assert {"Turnout", "Polls opened", "Polls closed"} <= set(asked)
    assert "Signatures of the commission members" in asked
    assert asked.count("Member of the commission") == 3
    assert {"Chair of the commission", "Secretary"} <= set(asked)
    assert image.height > protocol(printout, recording).height  # the two times are printed
    lines = printout.protocol.lines
    share = 100 * lines["voters_received_ballot"] / lines["voters_on_register"]
    assert printouts._turnout(lines) == f"{share:.1f} %"
    assert printouts._turnout({**lines, "voters_on_register": 0}) == "—"

"""The voter's screens: the language, each contest, the review, the ballot cast."""

from __future__ import annotations

from typing import TYPE_CHECKING

from terminal.app.i18n import LANGUAGE_NAMES, VOTER_LANGUAGES
from terminal.app.pages.common import in_test
from terminal.app.screens import Button, Screen

if TYPE_CHECKING:
    from terminal.app.station import Station


def language(s: Station) -> Screen:
    return Screen(
        "language",
        "Тил · Язык · Тіл · Language",
        (),
        choices=tuple(Button(code, LANGUAGE_NAMES[code]) for code in VOTER_LANGUAGES),
        columns=2,
        test_mode=in_test(s),
    )


def ballot(s: Station) -> Screen:
    assert s.session is not None
    t, lang = s._v, s.session.language
    contest = s._contest()
    chosen = s.session.selections.get(contest.id, ())
    choices = tuple(
        Button(f"choice-{c.id}", c.name(lang), selected=c.id in chosen) for c in contest.choices
    )
    hint = (
        t("Choose one.")
        if contest.max_selections == 1
        else t("Choose up to {n}.").format(n=contest.max_selections)
    )
    actions: tuple[Button, ...] = (Button("next", t("Next"), primary=True, enabled=bool(chosen)),)
    if s.session.contest > 0:
        actions = (Button("back", t("Back")), *actions)
    return Screen(
        "ballot",
        contest.title(lang),
        (hint,),
        choices=choices,
        columns=2 if len(choices) > 5 else 1,
        actions=actions,
        test_mode=in_test(s),
    )


def review(s: Station) -> Screen:
    assert s.session is not None
    t, lang, session = s._v, s.session.language, s.session
    lines = tuple(
        f"{c.title(lang)}: "
        + ", ".join(ch.name(lang) for ch in c.choices if ch.id in session.selections.get(c.id, ()))
        for c in s.polls.election.contests
    )
    return Screen(
        "review",
        t("Check your choice"),
        (*lines, t("Tap Cast to cast your ballot.")),
        actions=(
            Button("change", t("Change")),
            Button("cast", t("Cast ballot"), primary=True),
        ),
        test_mode=in_test(s),
    )


def cast(s: Station) -> Screen:
    t = s._v
    return Screen(
        "cast",
        t("Your ballot is cast"),
        (t("Take your paper slip. Thank you!"),),
        actions=(Button("done", t("Done"), primary=True),),
        test_mode=in_test(s),
    )

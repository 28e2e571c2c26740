"""The voter's screens: the language and display modes, each contest, the review, the
receipt (cast or challenge), the challenged ballot, the ballot cast, and the idle warning."""

from __future__ import annotations

from typing import TYPE_CHECKING

from terminal.app.ballot_session import HIGH_CONTRAST, LARGE_TEXT, SCREEN_OFF
from terminal.app.i18n import (
    LANGUAGE_NAMES,
    N_,
    VOTER_LANGUAGES,
    Gettext,
    every_language,
)
from terminal.app.pages.common import in_test
from terminal.app.screens import Button, PageWords, Picture, Screen
from terminal.ballot import selection
from terminal.ballot.election import Choice, Contest, ContestKind
from terminal.invariants import InvariantError

if TYPE_CHECKING:
    from terminal.app.station import Station

# Before the voter has chosen a language, the display modes are named (and said) in all
# four in turn (in_every_language).
LARGE_TEXT_MESSAGE = N_("Large text")
HIGH_CONTRAST_MESSAGE = N_("High contrast")
SCREEN_OFF_MESSAGE = N_("Screen off")
# The language screen's title, said in each language's voice in turn.
LANGUAGE_TITLE = "Тил · Язык · Тіл · Language"
CHOOSE_LANGUAGE = N_("Choose your language")
# The audio ballot's words for the pager (terminal/app/screens.py: PageWords).
PAGE_N = N_("Page {n}")
OF_N = N_("of {n}")
PREVIOUS_PAGE = N_("Previous page")
NEXT_PAGE = N_("Next page")
TRACKING_CODE = N_("Tracking code: {code}")
TRACKING_CODE_LABEL = N_("Tracking code")
HINTS = {
    ContestKind.ONE_OF: N_("Choose one."),
    ContestKind.PARTY_LIST: N_("Choose one party."),
    ContestKind.REFERENDUM: N_("Answer yes or no."),
}


def language(s: Station) -> Screen:
    session = s.session
    large = session is not None and session.large_text
    contrast = session is not None and session.high_contrast
    return Screen(
        "language",
        LANGUAGE_TITLE,
        (),
        choices=(
            *(Button(code, LANGUAGE_NAMES[code]) for code in VOTER_LANGUAGES),
            in_every_language(LARGE_TEXT, LARGE_TEXT_MESSAGE, large),
            in_every_language(HIGH_CONTRAST, HIGH_CONTRAST_MESSAGE, contrast),
            # Only for a voter listening: the screen goes dark for privacy.
            *(
                (in_every_language(SCREEN_OFF, SCREEN_OFF_MESSAGE, session.screen_off),)
                if session and session.audio
                else ()
            ),
        ),
        columns=2,
        test_mode=in_test(s),
        page=session.page if session is not None else 0,
        said_as=((LANGUAGE_TITLE, language_title_said()),),
        page_words=page_words(s._v),
    )


def language_title_said() -> tuple[str, ...]:
    """ "Choose your language" in each voter language, each said in its own voice."""
    return every_language(CHOOSE_LANGUAGE)


def page_words(t: Gettext) -> PageWords:
    """The pager's words in the voter's language."""
    return PageWords(t(PAGE_N), t(OF_N), t(PREVIOUS_PAGE), t(NEXT_PAGE))


def tracking_code_said(code: str, t: Gettext) -> tuple[str, ...]:
    """The tracking code's line said as its label, then the code letter by letter (the
    clips are the code alphabet's, rendered at setup: a code is new for every ballot)."""
    return (t(TRACKING_CODE_LABEL), *(ch for ch in code if ch != "-"))


def in_every_language(target: str, message: str, selected: bool) -> Button:
    """A toggle of the language screen named in each voter language in turn (a name two
    languages share once), and said so, each in its own voice."""
    said = tuple(dict.fromkeys(every_language(message)))
    return Button(target, " · ".join(said), selected=selected, spoken=said)


def choice_label(choice: Choice, language: str) -> str:
    """A choice as the ballot names it: its number on the ballot, a party list's party."""
    name = choice.party.name(language) if choice.party and not choice.against_all else ""
    name = name or choice.name(language)
    number = choice.party.number if choice.party else choice.ballot_number
    return f"{number}. {name}" if number is not None and not choice.against_all else name


def logo_of(s: Station, choice: Choice) -> Picture | None:
    """A party list's logo, where the package gives its party one."""
    logo = choice.party.logo if choice.party and not choice.against_all else None
    image = s.polls.logo_images.get(logo.sha256) if logo else None
    return Picture(logo.sha256, image) if logo and image else None


def hint(contest: Contest, t: Gettext, marked: int) -> tuple[str, ...]:
    lines: tuple[str, ...]
    if contest.kind is ContestKind.UP_TO_K:
        lines = (
            t("Choose up to {n}; marked: {count}.").format(n=contest.max_selections, count=marked),
        )
    else:
        lines = (t(HINTS[contest.kind]),)
    if contest.blank_allowed:
        lines += (t("You may leave this contest without a mark."),)
    return lines


def ballot(s: Station) -> Screen:
    if s.session is None:
        raise InvariantError("invariant broken: s.session is not None")
    t, lang, session = s._v, s.session.language, s.session
    contest = s._contest()
    chosen = session.selections.get(contest.id, ())
    choices = tuple(
        Button(
            f"choice-{c.id}",
            choice_label(c, lang),
            selected=c.id in chosen,
            picture=logo_of(s, c),
        )
        for c in contest.choices
    )
    ready = selection.complete(contest, chosen)
    actions: tuple[Button, ...] = (Button("next", t("Next"), primary=True, enabled=ready),)
    if session.contest > 0 and not session.reviewing:
        actions = (Button("back", t("Back")), *actions)
    return Screen(
        "ballot",
        contest.title(lang),
        hint(contest, t, len(chosen)),
        choices=choices,
        columns=2 if len(choices) > 5 else 1,
        actions=actions,
        test_mode=in_test(s),
        page=session.page,
        page_words=page_words(t),
    )


def review(s: Station) -> Screen:
    if s.session is None:
        raise InvariantError("invariant broken: s.session is not None")
    t, lang, session = s._v, s.session.language, s.session
    rows = []
    nothing = t("no choice")
    for c in s.polls.election.contests:
        chosen = session.selections.get(c.id, ())
        labels = [choice_label(ch, lang) for ch in c.choices if ch.id in chosen] or [nothing]
        rows.append(
            Button(
                f"change-{c.id}",
                f"{c.title(lang)}: {', '.join(labels)}",
                spoken=(c.title(lang), *labels),
            )
        )
    return Screen(
        "review",
        t("Check your choice"),
        (t("Tap a contest to change it, or Cast to cast your ballot."),),
        choices=tuple(rows),
        actions=(Button("cast", t("Cast ballot"), primary=True),),
        test_mode=in_test(s),
        page=session.page,
        page_words=page_words(t),
    )


def receipt(s: Station) -> Screen:
    """Format 2: the receipt with the tracking code is printed; cast, or challenge (Benaloh)."""
    if not (s.session is not None and s.session.sealed is not None):
        raise InvariantError("invariant broken: s.session is not None and s.session.sealed is n...")
    t, code = s._v, s.session.sealed.tracking_code
    # Its groups apart by spaces, so the line can wrap on the smallest panel.
    shown = t(TRACKING_CODE).format(code=code.replace("-", " "))
    return Screen(
        "receipt",
        t("Take your receipt"),
        (
            shown,
            t("Cast it, or challenge it to check it: then it is not counted, you vote again."),
        ),
        actions=(
            Button("challenge", t("Challenge")),
            Button("cast", t("Cast ballot"), primary=True),
        ),
        test_mode=in_test(s),
        said_as=((shown, tracking_code_said(code, t)),),
    )


def challenged(s: Station) -> Screen:
    t = s._v
    return Screen(
        "challenged",
        t("Ballot challenged: not counted"),
        (
            t("Take the printout marked SPOILED: it shows your choices and their encryption."),
            t("Your code is still valid. Vote again."),
        ),
        actions=(Button("vote-again", t("Vote again"), primary=True),),
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


def idle_warning(s: Station) -> Screen:
    t = s._v
    return Screen(
        "idle_warning",
        t("Are you still voting?"),
        (
            t("Nobody has touched the screen for two minutes."),
            t(
                "Without a touch within a minute the ballot is void and goes back to the "
                "poll worker."
            ),
        ),
        actions=(Button("continue", t("Continue voting"), primary=True),),
        warning=True,
        test_mode=in_test(s),
    )

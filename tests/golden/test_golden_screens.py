"""Every screen as drawn equals its golden image (within anti-aliasing), and keeps the
accessibility rules (targets, text size, contrast, no overflow) on its panel.

`make test` runs a pairwise subset of panels x modes x languages for every state; the whole
matrix is marked slow (`make torture`).
"""

from __future__ import annotations

import pytest
from PIL import Image

from terminal.app.screen_checks import problems
from terminal.app.screens import draw
from tests import golden

SUBSET = list(golden.matrix(full=False))
FULL = list(golden.matrix(full=True))


ELECTION = golden.screen_states.catalogue_election()


def _keeps_the_rules(shot: golden.screen_states.Shot) -> None:
    assert problems(shot.layout(ELECTION)) == [], shot.name


def _matches(shot: golden.screen_states.Shot) -> None:
    name, plan = shot.name, shot.layout(ELECTION)
    path = golden.path_of(name)
    assert path.exists(), f"no golden image {path.name}: run python -m tests.golden update"
    with Image.open(path) as stored:
        share = golden.difference(draw(plan, golden.plan_fonts()), stored)
    assert share <= golden.TOLERANCE, (
        f"{name}: {share:.2%} of the pixels changed; if meant, run python -m tests.golden update"
    )


@pytest.mark.parametrize("shot", SUBSET, ids=[s.name for s in SUBSET])
def test_screen_keeps_the_rules(shot: golden.screen_states.Shot) -> None:
    _keeps_the_rules(shot)


# The pictures are drawn with the current Pillow and FreeType; the Bookworm versions may
# place a glyph's edge a pixel apart (the rules above are checked there too).
@pytest.mark.host_only
@pytest.mark.parametrize("shot", SUBSET, ids=[s.name for s in SUBSET])
def test_screen_matches_its_golden_image(shot: golden.screen_states.Shot) -> None:
    _matches(shot)


@pytest.mark.slow
@pytest.mark.parametrize("shot", FULL, ids=[s.name for s in FULL])
def test_every_screen_of_the_matrix_keeps_the_rules_and_matches(
    shot: golden.screen_states.Shot,
) -> None:
    _keeps_the_rules(shot)
    _matches(shot)


def test_the_matrix_covers_every_state_panel_mode_and_language() -> None:
    names = {s.name for s in FULL}
    assert len(names) == len(FULL) == 672
    for state in golden.screen_states.STATES:
        assert any(s.state == state for s in SUBSET), state.name
    for panel, mode, language in golden.pairwise():
        assert any((s.panel.name, s.mode, s.language) == (panel, mode, language) for s in SUBSET)
    stored = {p.stem for p in golden.DIRECTORY.glob("*.png")}
    assert stored == names, "run python -m tests.golden update"


def test_every_view_is_in_the_catalogue_of_screen_states() -> None:
    """A new screen gets its golden images and its checks: add a State for it in
    sim/screen_states.py, then run python -m tests.golden update."""
    from terminal.app.view import View

    assert {state.view for state in golden.screen_states.STATES} == set(View)


@pytest.mark.parametrize("mode", list(golden.screen_states.MODES))
def test_every_choice_keeps_the_rules_when_marked(mode: str) -> None:
    """The catalogue marks the first choices only; a voter may mark any, and a marked label
    (with its ✓) must still fit its button, on every page, panel and language."""
    import dataclasses

    from terminal.app.screens import layout

    states = [s for s in golden.screen_states.STATES if s.name.startswith("ballot-")]
    for shot in golden.screen_states.shots(modes=(mode,), states=tuple(states)):
        s = shot.station(ELECTION)
        marked = s._screen()
        marked = dataclasses.replace(
            marked, choices=tuple(dataclasses.replace(b, selected=True) for b in marked.choices)
        )
        pages = 1
        page = 0
        while page < pages:
            plan = layout(
                dataclasses.replace(marked, page=page),
                shot.panel.width,
                shot.panel.height,
                s.fonts,
                s.style(),
            )
            assert problems(plan) == [], (shot.name, page)
            pages, page = plan.pages, page + 1

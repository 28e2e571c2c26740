"""Screen builders: one a view, found through one table, each describing what it draws."""

from __future__ import annotations

from terminal.app import pages
from terminal.app.screens import Button, Part, Screen
from terminal.app.view import View


def test_every_view_has_exactly_one_builder() -> None:
    assert set(pages.BUILDERS) == set(View)


def test_the_description_lists_what_is_drawn_in_reading_order() -> None:
    screen = Screen(
        "ballot",
        "Mayor",
        ("Choose one.",),
        choices=(Button("choice-a", "Asanov", selected=True), Button("choice-b", "Bekova")),
        actions=(Button("next", "Next", primary=True, enabled=False),),
    )
    parts = [(e.part, e.text, e.target) for e in screen.elements()]
    assert parts == [
        (Part.TITLE, "Mayor", None),
        (Part.LINE, "Choose one.", None),
        (Part.CHOICE, "Asanov", "choice-a"),
        (Part.CHOICE, "Bekova", "choice-b"),
        (Part.ACTION, "Next", "next"),
    ]
    assert screen.elements()[2].selected and not screen.elements()[4].enabled

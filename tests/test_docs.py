"""Documentation generated from data must match the data."""

from __future__ import annotations

from pathlib import Path

from terminal.tally.event_kinds import CATALOGUE, markdown

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_events_doc_is_generated_from_the_catalogue() -> None:
    assert (DOCS / "events.md").read_text() == markdown(), (
        "run: python -m terminal.tally.event_kinds > docs/events.md"
    )


def test_every_event_kind_is_used_by_the_terminal() -> None:
    source = "".join(p.read_text() for p in (DOCS.parent / "terminal").rglob("*.py"))
    unused = [kind for kind in CATALOGUE if f'"{kind}"' not in source]
    assert not unused, f"event kinds declared but never written: {unused}"

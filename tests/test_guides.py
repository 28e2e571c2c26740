"""The voter's and the poll worker's guides are what `python -m sim.guides` writes, and
every picture they show is there (taken from a simulated day by the same command)."""

from __future__ import annotations

import re

import pytest

from sim import guides


@pytest.mark.parametrize("language", guides.LANGUAGES)
@pytest.mark.parametrize("guide", ["voter", "poll-worker"])
def test_the_guide_is_generated_and_its_pictures_exist(language: str, guide: str) -> None:
    path = guides.GUIDES / f"{guide}-{language}.md"
    assert path.read_text() == guides.markdown(language, guide), "run python -m sim.guides"
    pictures = re.findall(r"!\[[^]]*\]\(([^)]+)\)", path.read_text())
    assert len(pictures) >= 7
    for picture in pictures:
        assert (guides.GUIDES / picture).is_file(), picture


def test_every_step_has_its_text_in_every_language() -> None:
    assert set(guides.TEXT) == set(guides.LANGUAGES)
    keys = set(guides.TEXT["ru"])
    assert all(set(texts) == keys for texts in guides.TEXT.values())

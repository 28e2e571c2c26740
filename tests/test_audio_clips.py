"""The audio ballot's clips, rendered once at setup: every line the voter's screens show is
in the index in the voter's language, each clip is real speech (sox measures it), and the
index says which text and voice each file holds."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from sim import screen_states as ss
from terminal.app import station as station_module
from terminal.app.audio_clips import FORMAT, INDEX, VOICES, AudioError, Clip, render_clips
from terminal.app.ballot_session import Session
from terminal.app.i18n import VOTER_LANGUAGES
from terminal.app.screens import Fonts, layout
from terminal.app.view import View

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("sox") is None,
    reason="espeak-ng and sox: scripts/setup-system.sh",
)
ELECTION = ss.catalogue_election()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    directory = tmp_path_factory.mktemp("audio")
    render_clips(ELECTION, directory)
    return directory, json.loads((directory / INDEX).read_text())


def peak(wav: Path) -> tuple[float, float]:
    """sox's maximum amplitude and length in seconds of a clip."""
    stat = subprocess.run(
        ["sox", str(wav), "-n", "stat"], capture_output=True, text=True, check=True
    ).stderr
    amplitude = float(re.search(r"Maximum amplitude:\s+([-\d.]+)", stat)[1])  # type: ignore[index]
    length = float(re.search(r"Length \(seconds\):\s+([\d.]+)", stat)[1])  # type: ignore[index]
    return amplitude, length


def said_lines(language: str, width: int, height: int, large: bool) -> list[str]:
    """What the audio ballot says on the voter's screens in `language`, every page of each
    (the language screen, each contest, the review, the receipt, a challenged ballot, the
    cast screen, the idle warning) as laid out on a `width` x `height` panel: from the
    screens' own description (Layout.shown(), Element.said)."""
    display = type("D", (), {"width": width, "height": height, "show": lambda self, f: None})()
    station = station_module.Station(
        ss.ScreenPolls(ELECTION),  # type: ignore[arg-type]
        display,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        Fonts(),
        "ru",
        ss.REPO / "bundle",
    )
    session = station.session = Session(0, None, reissue=False)
    session.language, session.large_text, session.audio = language, large, True
    session.sealed = SimpleNamespace(tracking_code="ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567")  # type: ignore[assignment]
    lines: list[str] = []
    views = (View.LANGUAGE, View.BALLOT, View.REVIEW, View.RECEIPT, View.CHALLENGED)
    for view in (*views, View.CAST, View.IDLE_WARNING):
        station.view = view
        for contest in range(len(ELECTION.contests) if view is View.BALLOT else 1):
            session.contest, session.page, pages = contest, 0, 1
            while session.page < pages:
                plan = layout(station._screen(), width, height, station.fonts, station.style())
                lines += [line for e in plan.shown() if e.text for line in e.said]
                session.page, pages = session.page + 1, plan.pages
    return lines


def test_every_line_the_voters_screens_show_is_a_clip_in_their_language(
    rendered: tuple[Path, dict[str, object]],
) -> None:
    directory, index = rendered
    assert index["format"] == FORMAT
    clips = index["clips"]
    assert isinstance(clips, list)
    by_language: dict[str, set[str]] = {}
    for clip in clips:
        assert clip["voice"] == VOICES[clip["language"]]
        assert (directory / clip["file"]).is_file()
        assert clip["file"] == Clip(clip["language"], clip["voice"], clip["text"]).file
        by_language.setdefault(clip["language"], set()).add(clip["text"])
    assert set(by_language) == set(VOTER_LANGUAGES)
    spoken = {clip["text"] for clip in clips}
    for language in VOTER_LANGUAGES:
        for width, height, large in ((800, 480, False), (480, 320, True)):
            said = said_lines(language, width, height, large)
            # The language screen names each language, and asks, in that language's voice.
            missing = [t for t in said if t not in by_language[language] and t not in spoken]
            assert missing == [], f"{language} {width}x{height}: never spoken: {missing}"
            assert "TEST" not in said
    said = said_lines("ru", 480, 320, True)
    # The pager is said in words, the tracking code letter by letter.
    assert {"Страница 2", "из 2", "Следующая страница", "Предыдущая страница"} <= set(said)
    assert "◀" not in said and "▶" not in said
    code = said.index("Код проверки")
    assert said[code + 1 : code + 33] == list("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert {"Тилди тандаңыз", "Выберите язык", "Тілді таңдаңыз", "Choose your language"} <= set(
        said
    )
    # The 30-candidate contest: every one of its names is said.
    assert len(clips) > 4 * 30


def test_the_clips_are_speech_not_silence(rendered: tuple[Path, dict[str, object]]) -> None:
    directory, index = rendered
    clips = index["clips"]
    assert isinstance(clips, list)
    for clip in clips[:: max(1, len(clips) // 12)]:  # a dozen, across the languages
        amplitude, length = peak(directory / clip["file"])
        assert amplitude > 0.1, clip
        assert 0.2 < length < 30, clip


def test_setting_up_again_keeps_what_was_rendered(
    rendered: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    directory, index = rendered
    copy = tmp_path / "audio"
    shutil.copytree(directory, copy)
    clips = index["clips"]
    assert isinstance(clips, list)
    gone = copy / clips[0]["file"]
    gone.unlink()
    before = {p.name: p.stat().st_mtime_ns for p in copy.glob("*.wav")}
    render_clips(ELECTION, copy)
    assert gone.is_file()
    assert {p.name: p.stat().st_mtime_ns for p in copy.glob("*.wav") if p.name in before} == before
    assert json.loads((copy / INDEX).read_text()) == index


def test_a_missing_synthesiser_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("terminal.app.audio_clips.ESPEAK", "espeak-ng-not-here")
    with pytest.raises(AudioError, match="espeak-ng-not-here is not installed"):
        render_clips(ELECTION, tmp_path / "audio")
    assert not (tmp_path / "audio" / INDEX).exists()

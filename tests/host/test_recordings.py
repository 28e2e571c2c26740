"""Recorded audio-ballot lines: the definition names a WAV for a line the voter's screens say,
`election create` checks and copies it, the signed package binds it by hash, and the
terminal's setup plays it instead of espeak-ng's clip; a recording altered in the package,
or one that is not a WAV, stops the setup with its name."""

from __future__ import annotations

import io
import json
import math
import shutil
import struct
import wave
from pathlib import Path

import pytest

from sim.screen_states import catalogue_election
from terminal.app.audio_clips import INDEX, RECORDED, AudioError, render_clips
from terminal.ballot.election import Election
from terminal.jsonfmt import FormatError
from tests.host.test_commission_desk import DEFINITION, refused_at_create, signed_from

LINE = "1. А"  # choice "a" as the ballot names it in Russian


def tone(seconds: float = 0.5, rate: int = 16000) -> bytes:
    """A WAV of a 440 Hz tone: what a voice actor's recording is to the software."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = (
            int(8000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(int(seconds * rate))
        )
        w.writeframes(b"".join(struct.pack("<h", f) for f in frames))
    return out.getvalue()


def definition_with(root: Path, recordings: str) -> Path:
    path = root / "def.toml"
    path.write_text(DEFINITION + recordings, encoding="utf-8")
    return path


def recording(file: str, text: str = LINE, language: str = "ru") -> str:
    return f'\n[[recordings]]\nlanguage = "{language}"\ntext = "{text}"\nfile = "{file}"\n'


def test_a_recorded_line_travels_signed_and_replaces_the_synthetic_clip(tmp_path: Path) -> None:
    wav = tone()
    (tmp_path / "names").mkdir()
    (tmp_path / "names" / "a-ru.wav").write_bytes(wav)
    definition = definition_with(tmp_path, recording("names/a-ru.wav"))
    # The original is not needed after create: the election directory holds its copy.
    election, package = signed_from(definition, tmp_path / "names")
    (recorded,) = package.election.recordings
    assert (recorded.language, recorded.text) == ("ru", LINE)
    assert package.recording(recorded) == wav

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng: scripts/setup-system.sh")
    audio = tmp_path / "audio"
    render_clips(package.election, audio, package)
    index = json.loads((audio / INDEX).read_text())
    (entry,) = [c for c in index["clips"] if (c["language"], c["text"]) == ("ru", LINE)]
    assert entry["voice"] == RECORDED and entry["recording"] == recorded.sha256
    assert (audio / entry["file"]).read_bytes() == wav
    # Every other line is still espeak-ng's.
    assert sum(c["voice"] == RECORDED for c in index["clips"]) == 1

    # The package's copy altered after signing: the setup stops, naming the file.
    (election / "package" / recorded.file).write_bytes(tone(0.6))
    with pytest.raises(AudioError, match=f"package/{recorded.file}: altered"):
        render_clips(package.election, tmp_path / "audio-2", package)
    assert not (tmp_path / "audio-2" / INDEX).exists()


@pytest.mark.parametrize(
    ("recordings", "files", "expected"),
    [
        (
            recording("a.wav", text="1. Б"),
            {"a.wav": tone()},
            "recordings[0].text: no voter screen says '1. Б' in ru",
        ),
        (recording("gone.wav"), {}, "recordings[0].file:"),
        (
            recording("a.wav") + recording("b.wav"),
            {"a.wav": tone(), "b.wav": tone()},
            "recorded twice",
        ),
        (recording("a.wav"), {"a.wav": b"RIFF not really"}, "not a WAV file"),
        (recording("a.wav"), {"a.wav": tone(31.0, rate=8000)}, "31.0 s long"),
        (recording("a.wav", language="de"), {"a.wav": tone()}, "recordings[0].language"),
    ],
)
def test_a_bad_recording_is_refused_at_its_place(
    tmp_path: Path,
    recordings: str,
    files: dict[str, bytes],
    expected: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    err = refused_at_create(definition_with(tmp_path, recordings), capsys)
    assert expected in err


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ([{"language": "de", "text": "x", "file": "a.wav", "sha256": "00" * 32}], "language"),
        ([{"language": "ru", "text": " ", "file": "a.wav", "sha256": "00" * 32}], "text is empty"),
        ([{"language": "ru", "text": "x", "file": "../a.wav", "sha256": "00" * 32}], "plain"),
        ([{"language": "ru", "text": "x", "file": "a.exe", "sha256": "00" * 32}], "plain .wav"),
        ([{"language": "ru", "text": "x", "file": "a.wav", "sha256": "00"}], "sha256"),
        (
            [
                {"language": "ru", "text": "x", "file": "a.wav", "sha256": "00" * 32},
                {"language": "ky", "text": "x", "file": "a.wav", "sha256": "11" * 32},
            ],
            "two hashes",
        ),
        (
            [
                {"language": "ru", "text": "x", "file": "a.wav", "sha256": "00" * 32},
                {"language": "ru", "text": "x", "file": "b.wav", "sha256": "11" * 32},
            ],
            "appears twice",
        ),
    ],
)
def test_the_signed_election_refuses_a_bad_recordings_list(
    entries: list[dict[str, str]], expected: str
) -> None:
    value = json.loads(catalogue_election().to_json())
    value["recordings"] = entries
    with pytest.raises(FormatError, match=expected):
        Election.from_json(json.dumps(value).encode())
    value["recordings"] = entries[:1]
    if expected in ("two hashes", "appears twice"):
        assert Election.from_json(json.dumps(value).encode()).recordings[0].file == "a.wav"

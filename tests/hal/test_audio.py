"""The booth's headphones: aplay on the board's ALSA device, one clip at a time and never
blocking, and the simulator's device keeping every clip the terminal played."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from sim.audio import SimulatedAudio
from terminal.hal.alsa_audio import AlsaAudio, AudioDeviceError
from terminal.hal.board_config import AudioConfig, AudioDriver
from terminal.hal.devices import open_audio
from terminal.hal.interfaces import NoAudio, Sound
from terminal.hal.socket_audio import SocketAudio

# A stand-in for aplay: records its arguments, then plays for a long time.
FAKE_APLAY = """#!/bin/sh
echo "$$ $*" >> "{log}"
exec sleep 30
"""


@pytest.fixture
def aplay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "aplay.log"
    script = bin_dir / "aplay"
    script.write_text(FAKE_APLAY.format(log=log))
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return log


def _calls(log: Path, count: int) -> list[tuple[int, str]]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines() if log.exists() else []
        if len(lines) >= count:
            return [(int(pid), rest) for pid, rest in (line.split(" ", 1) for line in lines)]
        time.sleep(0.01)
    raise AssertionError(f"aplay started fewer than {count} times")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_new_clip_stops_the_one_playing_and_play_never_waits(aplay: Path, tmp_path: Path) -> None:
    audio = open_audio(AudioConfig(AudioDriver.ALSA, device="plughw:CARD=Device,DEV=0"))
    assert isinstance(audio, AlsaAudio)
    started = time.monotonic()
    audio.play([Sound(tmp_path / "first.wav", "ballot-title")])
    assert time.monotonic() - started < 2  # the fake aplay plays for 30 s
    [(first, first_args)] = _calls(aplay, 1)
    audio.play([Sound(tmp_path / "second.wav", "a"), Sound(tmp_path / "third.wav", "b")])
    (_, _), (second, second_args) = _calls(aplay, 2)
    assert first_args == f"-q -D plughw:CARD=Device,DEV=0 -- {tmp_path / 'first.wav'}"
    assert second_args.endswith(f"-- {tmp_path / 'second.wav'} {tmp_path / 'third.wav'}")
    assert not _alive(first)  # stopped (and reaped: no zombie)
    assert _alive(second)
    audio.stop()
    assert not _alive(second)
    audio.stop()  # nothing playing: nothing to do


def test_a_board_with_audio_but_no_aplay_is_refused_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(AudioDeviceError, match="aplay is not installed"):
        open_audio(AudioConfig(AudioDriver.ALSA, device="default"))
    assert isinstance(open_audio(AudioConfig(AudioDriver.NONE)), NoAudio)


def test_the_simulated_device_keeps_every_clip_in_order(tmp_path: Path) -> None:
    clips = []
    for number in range(3):
        clip = tmp_path / f"{number}.wav"
        clip.write_bytes(b"RIFF" + bytes([number]) * (1000 + number))
        clips.append(clip)
    with SimulatedAudio(tmp_path / "dev", tmp_path / "out" / "audio") as device:
        audio = open_audio(AudioConfig(AudioDriver.SOCKET, path=device.path))
        assert isinstance(audio, SocketAudio)
        audio.play([Sound(clips[0], "ballot-title"), Sound(clips[1], "ballot/choice 1")])
        audio.close()
        # A restarted terminal connects again.
        again = SocketAudio(device.path)
        again.play([Sound(clips[2], "review-title")])
        again.close()
        deadline = time.monotonic() + 5
        while len(device.clips()) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        kept = device.clips()
    assert [p.name for p in kept] == [
        "0001-ballot-title.wav",
        "0002-ballot_choice_1.wav",
        "0003-review-title.wav",
    ]
    assert [p.read_bytes() for p in kept] == [c.read_bytes() for c in clips]
    assert not (tmp_path / "dev" / "audio.sock").exists()

"""The booth's headphones on an ALSA device: each clip played by `aplay -q -D <device>`.

aplay runs as a child process so that playing never blocks the station's loop: a voter
who presses Down before a name is finished hears the next name at once, because a new
clip stops the one playing. aplay rather than a Python ALSA binding: it is in every
Raspberry Pi OS image (alsa-utils), reads WAV headers itself and adds no import cost.
"""

from __future__ import annotations

import shutil
import subprocess  # nosec B404: aplay with a fixed argument list, no shell
from collections.abc import Sequence

from terminal.hal.interfaces import Sound

APLAY = "aplay"
# A stopped aplay exits at once; one that does not is killed rather than waited on.
STOP_TIMEOUT = 1.0


class AudioDeviceError(OSError):
    """The board's audio cannot be played (aplay missing)."""


class AlsaAudio:
    """An Audio that plays each clip on one ALSA device, one clip at a time."""

    def __init__(self, device: str) -> None:
        """`device` is the board config's [audio] device; raises AudioDeviceError if aplay
        is not installed (a board that says it has headphones must be able to use them)."""
        if shutil.which(APLAY) is None:
            raise AudioDeviceError(f"{APLAY} is not installed (apt install alsa-utils)")
        self.device = device
        self._playing: subprocess.Popen[bytes] | None = None

    def play(self, sounds: Sequence[Sound]) -> None:
        """Stop the clips playing, if any, and start `sounds` (one aplay plays them in
        turn); returns at once."""
        self.stop()
        if not sounds:
            return
        self._playing = subprocess.Popen(  # nosec B603: fixed arguments, no shell
            [APLAY, "-q", "-D", self.device, "--", *(str(sound.path) for sound in sounds)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        """Stop the clip playing and reap its aplay (no zombie per clip over a day)."""
        playing, self._playing = self._playing, None
        if playing is None:
            return
        if playing.poll() is None:
            playing.terminate()
            try:
                playing.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                playing.kill()
                playing.wait()

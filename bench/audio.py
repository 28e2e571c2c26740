"""Audio ballot: rendering every clip of a package with a 30-choice contest at setup.

The election is sim/screen_states' catalogue (one contest of each kind, one of 30
candidates, as examples/kz-multi.toml has); every line of its voter screens is spoken by
espeak-ng in the four voter languages into a fresh directory, as setup does before the
polls open. The figure is the wall time (espeak-ng runs in child processes, two at a time).
"""

from __future__ import annotations

import shutil
import time

from bench import Context, Figure, info, section
from sim import screen_states
from terminal.app.audio_clips import ESPEAK, render_clips

SETUP_TARGET_S = 60.0


def run(ctx: Context) -> None:
    section("audio ballot")
    name = "audio rendering, 30-choice package, 4 languages"
    if shutil.which(ESPEAK) is None:
        ctx.results.unavailable(name, "s", SETUP_TARGET_S, "lower", f"{ESPEAK} not installed")
        return
    directory = ctx.scratch("audio")
    started = time.perf_counter()
    clips = render_clips(screen_states.catalogue_election(), directory)
    elapsed = time.perf_counter() - started
    size = sum(path.stat().st_size for path in directory.glob("*.wav"))
    info("clips rendered", f"{len(clips)} ({size / 1e6:.1f} MB of WAV)")
    ctx.results.add(Figure(name, elapsed, "s", SETUP_TARGET_S, "lower"))

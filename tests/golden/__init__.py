"""Golden images of every screen: every state of sim/screen_states.py on every panel size
of the board configs, in every voter language and display mode.

Stored at 1 bit a pixel (ink or not), so a whole matrix is a couple of megabytes; colours
are checked by terminal/app/screen_checks.py from the layout instead. After a deliberate
change to the screens, regenerate every image with one command and review the diff:

    .venv/bin/python -m tests.golden update
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageChops

from sim import screen_states
from terminal.app.i18n import VOTER_LANGUAGES
from terminal.app.screens import draw

DIRECTORY = Path(__file__).resolve().parent / "screens"
# Pixels that may differ (anti-aliasing on another FreeType or Pillow version) before a
# screen counts as changed: a changed word or a moved button differs in far more.
TOLERANCE = 0.004


def one_bit(image: Image.Image) -> Image.Image:
    return image.convert("L").point(lambda v: 255 if v >= 128 else 0).convert("1")


def pairwise() -> set[tuple[str, str, str]]:
    """(panel, mode, language) combinations covering every pair of two of them once."""
    panels = [p.name for p in screen_states.board_panels()]
    modes = list(screen_states.MODES)
    return {
        (panel, modes[(p + l) % len(modes)], language)
        for p, panel in enumerate(panels)
        for l, language in enumerate(VOTER_LANGUAGES)  # noqa: E741
    }


def matrix(full: bool) -> list[screen_states.Shot]:
    """Every screen of the matrix, or its pairwise subset (with each state's screens in the
    normal mode for the pairs that name another mode)."""
    wanted = pairwise()
    normal = {(panel, language) for panel, _, language in wanted}
    return [
        shot
        for shot in screen_states.shots()
        if full
        or (shot.panel.name, shot.mode, shot.language) in wanted
        or (shot.mode == "normal" and (shot.panel.name, shot.language) in normal)
    ]


def difference(image: Image.Image, golden: Image.Image) -> float:
    """The share of pixels that differ between a drawn screen (at 1 bit) and its golden."""
    if image.size != golden.size:
        return 1.0
    diff = ImageChops.logical_xor(one_bit(image), golden.convert("1"))
    return sum(diff.convert("L").histogram()[255:]) / (image.width * image.height)


def path_of(name: str) -> Path:
    return DIRECTORY / f"{name}.png"


def update() -> int:
    """Write every golden image again; return how many there are."""
    DIRECTORY.mkdir(exist_ok=True)
    names = set()
    election = screen_states.catalogue_election()
    for shot in matrix(full=True):
        one_bit(draw(shot.layout(election), plan_fonts())).save(path_of(shot.name), optimize=True)
        names.add(shot.name)
    for stale in DIRECTORY.glob("*.png"):
        if stale.stem not in names:
            stale.unlink()
    return len(names)


def plan_fonts() -> screen_states.Fonts:
    return screen_states.Fonts()

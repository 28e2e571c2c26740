"""Simulated boards with another panel: `sim day --screen 480x320` runs the day on the
simulated devices with the display of the board config that has that panel size."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

BOARDS = Path(__file__).resolve().parent.parent / "board_configs"
DISPLAY_KEYS = ("width", "height", "width_mm", "height_mm")


class ScreenSizeError(ValueError):
    """No board config has a panel of the size asked for."""


def panel_of(size: str) -> dict[str, object]:
    """The [display] sizes of the first real board config whose panel is `size` (WxH)."""
    match = re.fullmatch(r"(\d+)x(\d+)", size)
    if match is None:
        raise ScreenSizeError(f"--screen {size!r}: expected WIDTHxHEIGHT, like 480x320")
    width, height = int(match[1]), int(match[2])
    sizes = []
    for path in sorted(BOARDS.glob("*.toml")):
        display = tomllib.loads(path.read_text())["display"]
        sizes.append(f"{display['width']}x{display['height']}")
        if (display["width"], display["height"]) == (width, height):
            return {key: display[key] for key in DISPLAY_KEYS}
    raise ScreenSizeError(
        f"--screen {size}: no board config has it ({', '.join(sorted(set(sizes)))})"
    )


def _set(text: str, table: str, values: dict[str, object]) -> str:
    start = text.index(f"[{table}]")
    end = text.find("\n[", start + 1)
    end = len(text) if end < 0 else end
    section = text[start:end]
    for key, value in values.items():
        written = f'"{value}"' if isinstance(value, str) else str(value)
        section = re.sub(rf"(?m)^{key} = .*$", f"{key} = {written}", section)
    return text[:start] + section + text[end:]


def _replace(text: str, table: str, body: str) -> str:
    start = text.find(f"[{table}]")
    if start < 0:  # a table the board does not have: added
        return f"{text.rstrip()}\n\n[{table}]\n{body}\n"
    end = text.find("\n[", start + 1)
    end = len(text) if end < 0 else end
    return f"{text[:start]}[{table}]\n{body}\n{text[end:]}"


def derived(
    board: Path,
    target: Path,
    screen: str | None,
    language: str | None,
    keypad: str | None = None,
    audio: str | None = None,
) -> Path:
    """A copy of the simulated `board` at `target` with the panel of size `screen`, the
    poll worker's `language` and the [keypad] and [audio] tables, where given."""
    text = board.read_text()
    if keypad is not None:
        text = _replace(text, "keypad", keypad)
    if audio is not None:
        text = _replace(text, "audio", audio)
    if screen is not None:
        text = _set(text, "display", panel_of(screen))
    if language is not None:
        text = _set(text, "terminal", {"language": language})
    target.write_text(text)
    return target

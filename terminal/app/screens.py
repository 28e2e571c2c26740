"""Screens: one layout for every screen, drawn with Pillow at the display's size.

A screen is a title, some lines of text, an optional grid of choice buttons and a bar of
action buttons. Every button becomes a touch target with its label, so hit-testing and
an audio read-out see exactly what is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cache

from PIL import Image, ImageDraw, ImageFont

from terminal.hal.interfaces import Box, Frame, Target

BACKGROUND = (250, 250, 247)
INK = (20, 24, 28)
TITLE_BG = (22, 58, 110)
TITLE_INK = (255, 255, 255)
BUTTON_BG = (228, 233, 240)
BUTTON_EDGE = (120, 130, 145)
PRIMARY_BG = (22, 110, 60)
SELECTED_BG = (255, 214, 90)
DISABLED_INK = (160, 160, 160)
WARNING_BG = (190, 40, 40)
TEST_BG = (230, 120, 0)

TITLE_HEIGHT = 64
ACTION_HEIGHT = 72
MARGIN = 16


@dataclass(frozen=True)
class Fonts:
    regular: str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    bold: str = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


@cache
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


@dataclass(frozen=True)
class Button:
    id: str
    label: str
    primary: bool = False
    selected: bool = False
    enabled: bool = True


class Part(Enum):
    """What an element of a screen is to the voter: read in this order, drawn in its place."""

    TITLE = "title"
    LINE = "line"
    BIG_LINE = "big_line"
    CHOICE = "choice"
    ACTION = "action"


@dataclass(frozen=True)
class Element:
    """One thing on a screen with its text; `target` is the id a tap (or key) on it sends."""

    part: Part
    text: str
    target: str | None = None
    selected: bool = False
    enabled: bool = True


@dataclass(frozen=True)
class Screen:
    """What a screen shows; `name` identifies it for the log of screens and for tests.

    This is the one description of a screen: `render` draws it and `elements` lists it for
    anything that is not a drawing (a spoken read-out, key navigation, the checks)."""

    name: str
    title: str
    lines: tuple[str, ...] = ()
    choices: tuple[Button, ...] = ()
    actions: tuple[Button, ...] = ()
    columns: int = 1
    warning: bool = False
    big_line: str = ""  # one line in large type (a PIN being typed, a count)
    test_mode: bool = False

    def elements(self) -> tuple[Element, ...]:
        """Everything on the screen in reading order: title, lines, choices, actions."""
        return (
            Element(Part.TITLE, self.title),
            *(Element(Part.LINE, line) for line in self.lines),
            *((Element(Part.BIG_LINE, self.big_line),) if self.big_line else ()),
            *(_element(Part.CHOICE, b) for b in self.choices),
            *(_element(Part.ACTION, b) for b in self.actions),
        )


def _element(part: Part, button: Button) -> Element:
    return Element(part, button.label, button.id, button.selected, button.enabled)


def _wrap(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int
) -> list[str]:
    words, lines, current = text.split(), [], ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if draw.textlength(candidate, font=font) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines or [""]


def _fit(
    draw: ImageDraw.ImageDraw, text: str, path: str, size: int, width: int
) -> ImageFont.FreeTypeFont:
    """The largest font up to `size` in which `text` fits `width` on one line."""
    while size > 12 and draw.textlength(text, font=_font(path, size)) > width:
        size -= 2
    return _font(path, size)


def _button(draw: ImageDraw.ImageDraw, box: Box, button: Button, fonts: Fonts, size: int) -> Target:
    fill = (
        SELECTED_BG
        if button.selected
        else PRIMARY_BG
        if button.primary and button.enabled
        else BUTTON_BG
    )
    ink = (255, 255, 255) if fill == PRIMARY_BG else INK if button.enabled else DISABLED_INK
    draw.rounded_rectangle(
        (box.left, box.top, box.right - 1, box.bottom - 1),
        radius=10,
        fill=fill,
        outline=BUTTON_EDGE,
        width=2,
    )
    label = ("✓ " if button.selected else "") + button.label
    font = _fit(draw, label, fonts.bold, size, box.right - box.left - 24)
    cx, cy = box.center
    draw.text((cx, cy), label, font=font, fill=ink, anchor="mm")
    return Target(button.id, button.label, box)


def render(screen: Screen, width: int, height: int, fonts: Fonts) -> Frame:
    """Draw a screen; disabled buttons are drawn but are not touch targets."""
    image = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    title_bg = WARNING_BG if screen.warning else TITLE_BG
    draw.rectangle((0, 0, width, TITLE_HEIGHT), fill=title_bg)
    title_width = width - 2 * MARGIN - (110 if screen.test_mode else 0)
    title_font = _fit(draw, screen.title, fonts.bold, 30, title_width)
    draw.text(
        (MARGIN, TITLE_HEIGHT // 2), screen.title, font=title_font, fill=TITLE_INK, anchor="lm"
    )
    if screen.test_mode:
        draw.rectangle((width - 110, 8, width - 8, TITLE_HEIGHT - 8), fill=TEST_BG)
        draw.text(
            (width - 59, TITLE_HEIGHT // 2),
            "TEST",
            font=_font(fonts.bold, 28),
            fill=TITLE_INK,
            anchor="mm",
        )
    targets: list[Target] = []
    y = TITLE_HEIGHT + MARGIN
    body_font = _font(fonts.regular, 24)
    for line in screen.lines:
        for wrapped in _wrap(draw, line, body_font, width - 2 * MARGIN):
            draw.text((MARGIN, y), wrapped, font=body_font, fill=INK)
            y += 32
    if screen.big_line:
        big = _fit(draw, screen.big_line, fonts.bold, 48, width - 2 * MARGIN)
        draw.text((width // 2, y + 30), screen.big_line, font=big, fill=INK, anchor="mm")
        y += 64
    bottom = height - (ACTION_HEIGHT + MARGIN if screen.actions else MARGIN)
    if screen.choices:
        rows = -(-len(screen.choices) // screen.columns)
        gap = 10
        cell_w = (width - 2 * MARGIN - gap * (screen.columns - 1)) // screen.columns
        cell_h = min(70, (bottom - y - gap * rows) // rows)
        for index, button in enumerate(screen.choices):
            row, col = divmod(index, screen.columns)
            left = MARGIN + col * (cell_w + gap)
            top = y + row * (cell_h + gap)
            target = _button(draw, Box(left, top, left + cell_w, top + cell_h), button, fonts, 26)
            if button.enabled:
                targets.append(target)
    if screen.actions:
        gap = 16
        count = len(screen.actions)
        cell_w = (width - 2 * MARGIN - gap * (count - 1)) // count
        top = height - ACTION_HEIGHT - MARGIN // 2
        for index, button in enumerate(screen.actions):
            left = MARGIN + index * (cell_w + gap)
            target = _button(
                draw, Box(left, top, left + cell_w, top + ACTION_HEIGHT - 8), button, fonts, 28
            )
            if button.enabled:
                targets.append(target)
    return Frame(screen.name, image, tuple(targets))

"""Screens: one layout for every screen, drawn with Pillow at the display's size.

A screen is a title, some lines of text, an optional grid of choice buttons and a bar of
action buttons. Every button becomes a touch target with its label, so hit-testing and
an audio read-out see exactly what is drawn.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from enum import Enum
from functools import cache, lru_cache

from PIL import Image, ImageDraw, ImageFont

from terminal.hal.interfaces import Box, Frame, Target

Colour = tuple[int, int, int]


@dataclass(frozen=True)
class Palette:
    """Every pair of ink and ground a screen uses has a contrast of at least 7:1 (WCAG AAA)."""

    background: Colour
    ink: Colour
    title_bg: Colour
    title_ink: Colour
    button_bg: Colour
    button_ink: Colour
    button_edge: Colour
    primary_bg: Colour
    primary_ink: Colour
    selected_bg: Colour
    selected_ink: Colour
    disabled_bg: Colour
    disabled_ink: Colour
    warning_bg: Colour
    test_bg: Colour
    test_ink: Colour


NORMAL = Palette(
    background=(250, 250, 247),
    ink=(20, 24, 28),
    title_bg=(22, 58, 110),
    title_ink=(255, 255, 255),
    button_bg=(228, 233, 240),
    button_ink=(20, 24, 28),
    button_edge=(90, 100, 115),
    primary_bg=(14, 84, 44),
    primary_ink=(255, 255, 255),
    selected_bg=(255, 214, 90),
    selected_ink=(20, 24, 28),
    disabled_bg=(250, 250, 247),
    disabled_ink=(70, 70, 70),
    warning_bg=(160, 20, 20),
    test_bg=(240, 130, 0),
    test_ink=(0, 0, 0),
)
# High contrast: white and yellow on black, black on yellow for what is marked.
HIGH_CONTRAST = Palette(
    background=(0, 0, 0),
    ink=(255, 255, 255),
    title_bg=(0, 0, 0),
    title_ink=(255, 255, 0),
    button_bg=(0, 0, 0),
    button_ink=(255, 255, 255),
    button_edge=(255, 255, 255),
    primary_bg=(255, 255, 255),
    primary_ink=(0, 0, 0),
    selected_bg=(255, 255, 0),
    selected_ink=(0, 0, 0),
    disabled_bg=(0, 0, 0),
    disabled_ink=(200, 200, 200),
    warning_bg=(0, 0, 0),
    test_bg=(255, 255, 0),
    test_ink=(0, 0, 0),
)

# Sizes in millimetres on the panel: a tap target is at least 9 mm (we keep a margin over
# it) and text at least 3 mm high (the font's em size); see tests/test_screen_checks.py.
MIN_TARGET_MM = 9.5
MIN_TEXT_MM = 3.05


@dataclass(frozen=True)
class Sizes:
    """The sizes of a screen's parts in mm, for panels of one height class."""

    title: float  # the title bar's height
    title_text: float
    body_text: float
    button_text: float
    cell: float  # a choice button's height
    action: float  # the action bar's height
    big_text: float  # the large line (a PIN being typed)
    margin: float
    gap: float
    large: float  # how much larger text and buttons are in large-text mode


REGULAR = Sizes(10.0, 5.0, 4.0, 4.2, 11.0, 11.0, 8.0, 2.5, 1.6, 1.45)
# Panels under 60 mm high (the 3.5" 480x320 one is 49 mm): the smallest sizes that still
# keep the 9 mm targets and 3 mm text.
COMPACT = Sizes(7.5, 4.0, 3.4, 3.6, 9.6, 9.6, 5.0, 1.2, 1.0, 1.25)
COMPACT_BELOW_MM = 60.0
PAGER_MM = 13.0
# After a marked choice's label: at its end, so that marking a choice never re-wraps the
# label's first words (the layout checks every label with it, marked or not).
TICK = " ✓"  # the width of a previous/next page button
# The official 7" display (154.2 mm wide at 800 px), for callers that know no panel.
DEFAULT_PX_PER_MM = 800 / 154.2


@dataclass(frozen=True)
class Style:
    """How a screen is drawn on one panel: its pixel density and the voter's display modes."""

    px_per_mm: float = DEFAULT_PX_PER_MM
    large_text: bool = False
    high_contrast: bool = False

    @property
    def palette(self) -> Palette:
        return HIGH_CONTRAST if self.high_contrast else NORMAL

    def px(self, mm: float, text: bool = False, large: float = REGULAR.large) -> int:
        """`mm` in pixels; text and what holds it grow by `large` in large-text mode."""
        scale = large if text and self.large_text else 1.0
        return max(1, round(mm * scale * self.px_per_mm))

    @property
    def min_text_px(self) -> int:
        return math.ceil(MIN_TEXT_MM * self.px_per_mm)

    @property
    def min_target_px(self) -> int:
        return math.ceil(MIN_TARGET_MM * self.px_per_mm)


@dataclass(frozen=True)
class Fonts:
    regular: str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    bold: str = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


@cache
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


@lru_cache(maxsize=16384)
def _text_length(path: str, size: int, text: str) -> float:
    # Every voter sees the same screens: remembered widths make a layout ~15x faster on
    # Debian 12's Pillow 9.4, whose getlength is the layout's main cost (0.6 ms a call).
    return float(_font(path, size).getlength(text, mode="L"))


@dataclass(frozen=True)
class Picture:
    """An image drawn in a button before its label (a party's logo): equal, and cached
    when scaled, by `key` (the image file's hash)."""

    key: str
    image: Image.Image = field(compare=False, repr=False)


@dataclass(frozen=True)
class Button:
    id: str
    label: str
    primary: bool = False
    selected: bool = False
    enabled: bool = True
    # What the audio ballot says for a label made of lines said alone ("contest: choices"
    # as the contest's title, then each choice); empty: the label itself.
    spoken: tuple[str, ...] = ()
    picture: Picture | None = None  # drawn in a square at the button's left


@dataclass(frozen=True)
class PageWords:
    """How the audio ballot says the pager in the screen's language: the indicator ("2 / 5")
    as `page` then `of` ("Page 2", "of 5": two clips, so that setup renders a line per
    number rather than per pair), and the previous and next buttons. Empty: not said."""

    page: str = ""  # with {n}
    of: str = ""  # with {n}
    previous: str = ""
    next: str = ""

    def indicator(self, page: int, pages: int) -> tuple[str, ...]:
        if not (self.page and self.of):
            return ()
        return (self.page.format(n=page), self.of.format(n=pages))


class Part(Enum):
    """What an element of a screen is to the voter: read in this order, drawn in its place."""

    TITLE = "title"
    LINE = "line"
    BIG_LINE = "big_line"
    CHOICE = "choice"
    ACTION = "action"
    PAGE = "page"  # the page indicator ("2 / 5")


@dataclass(frozen=True)
class Element:
    """One thing on a screen with its text; `target` is the id a tap (or key) on it sends."""

    part: Part
    text: str
    target: str | None = None
    selected: bool = False
    enabled: bool = True
    spoken: tuple[str, ...] = ()  # Button.spoken

    @property
    def said(self) -> tuple[str, ...]:
        """The lines the audio ballot says for this element, in order."""
        return self.spoken or (self.text,)


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
    columns: int = 1  # of the choices; more are used where their rows would not fit
    paged: bool = True  # choices that do not fit go on further pages (else: more columns)
    warning: bool = False
    big_line: str = ""  # one line in large type (a PIN being typed, a count)
    test_mode: bool = False
    page: int = 0  # which page of the choices is shown, when they do not fit on one
    # What the audio ballot says for the title or a line not said as it is shown (the
    # language screen's title in four voices, a tracking code letter by letter): pairs of
    # the text shown and the lines said for it.
    said_as: tuple[tuple[str, tuple[str, ...]], ...] = ()
    page_words: PageWords = PageWords()

    def text_element(self, part: Part, text: str) -> Element:
        """The title or a line as an element, with what the audio ballot says for it."""
        spoken = next((lines for shown, lines in self.said_as if shown == text), ())
        return Element(part, text, spoken=spoken)

    def elements(self) -> tuple[Element, ...]:
        """Everything on the screen in reading order: title, lines, choices, actions."""
        return (
            self.text_element(Part.TITLE, self.title),
            *(self.text_element(Part.LINE, line) for line in self.lines),
            *((Element(Part.BIG_LINE, self.big_line),) if self.big_line else ()),
            *(_element(Part.CHOICE, b) for b in self.choices),
            *(_element(Part.ACTION, b) for b in self.actions),
        )


def _element(part: Part, button: Button) -> Element:
    return Element(part, button.label, button.id, button.selected, button.enabled, button.spoken)


PAGE_PREVIOUS = "page-previous"
PAGE_NEXT = "page-next"


def _said(line: str) -> tuple[str, ...]:
    return (line,) if line else ()


@dataclass(frozen=True)
class Placed:
    """One element as laid out: its box, its text in lines, its type size and colours.

    The drawing, the touch targets and the checks (target size, text size, contrast,
    overflow) are all read from these, so what is checked is what is drawn."""

    element: Element
    box: Box
    lines: tuple[str, ...]
    font_px: int
    bold: bool
    ink: Colour
    ground: Colour
    overflow: bool  # the text does not fit its box even at the smallest allowed size
    touch: bool  # a touch target (enabled buttons)
    shape: str  # "bar", "button", "text", "badge"
    align: str = "center"  # "center", or "left" for body text and the title
    picture: Picture | None = None  # a button's picture, drawn in `picture_box`
    picture_box: Box | None = None  # inside `box`, left of the text

    @property
    def text_left(self) -> int:
        """Where the text's room starts: right of the picture, if there is one."""
        return self.picture_box.right if self.picture_box is not None else self.box.left


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    style: Style
    placed: tuple[Placed, ...]
    page: int
    pages: int

    def shown(self) -> tuple[Element, ...]:
        """The elements on the screen as shown (this page's choices), in reading order."""
        return tuple(p.element for p in self.placed)


class _Measure:
    def __init__(self, fonts: Fonts) -> None:
        self.fonts = fonts

    def font(self, size: int, bold: bool) -> ImageFont.FreeTypeFont:
        return _font(self.fonts.bold if bold else self.fonts.regular, size)

    def width(self, text: str, size: int, bold: bool) -> float:
        return _text_length(self.fonts.bold if bold else self.fonts.regular, size, text)

    def wrap(self, text: str, size: int, bold: bool, width: int) -> list[str]:
        words, lines, current = text.split(), [], ""
        for word in words:
            candidate = f"{current} {word}".strip()
            if self.width(candidate, size, bold) <= width or not current:
                current = candidate
            else:
                lines.append(current)
                current = word
        if current:
            lines.append(current)
        return lines or [""]

    def fit(
        self, text: str, size: int, least: int, bold: bool, width: int, height: int
    ) -> tuple[list[str], int, bool]:
        """The largest size from `size` down to `least` at which `text`, wrapped, fits the
        box; at `least` it may still not fit: then the third value (overflow) is True."""
        while True:
            lines = self.wrap(text, size, bold, width)
            tall = len(lines) * line_height(size)
            wide = max(self.width(line, size, bold) for line in lines)
            if (tall <= height and wide <= width) or size <= least:
                return lines, size, not (tall <= height and wide <= width)
            size = max(least, size - 2)


def line_height(size: int) -> int:
    return round(size * 1.2)


def picture_side(button_height: int, pad: int) -> int:
    """A button's picture: a square as high as the button inside its padding."""
    return max(1, button_height - 2 * pad)


def layout(screen: Screen, width: int, height: int, fonts: Fonts, style: Style) -> Layout:
    """Place every element of `screen` on a `width` x `height` panel in `style`."""
    m = _Measure(fonts)
    pal = style.palette
    z = COMPACT if height / style.px_per_mm < COMPACT_BELOW_MM else REGULAR
    margin, gap = style.px(z.margin), style.px(z.gap)
    least = style.min_text_px
    placed: list[Placed] = []

    def text_item(
        element: Element,
        box: Box,
        size: int,
        bold: bool,
        ink: Colour,
        ground: Colour,
        align: str = "left",
    ) -> Placed:
        lines, used, overflow = m.fit(
            element.text, size, least, bold, box.right - box.left, box.bottom - box.top
        )
        return Placed(
            element, box, tuple(lines), used, bold, ink, ground, overflow, False, "text", align
        )

    def button_item(element: Element, box: Box, size: int, button: Button) -> Placed:
        if button.selected:
            ground, ink = pal.selected_bg, pal.selected_ink
        elif not button.enabled:
            ground, ink = pal.disabled_bg, pal.disabled_ink
        elif button.primary:
            ground, ink = pal.primary_bg, pal.primary_ink
        else:
            ground, ink = pal.button_bg, pal.button_ink
        pad = style.px(1.5)
        label = button.label + (TICK if button.selected else "")
        picture_box = None
        if button.picture is not None:
            side = picture_side(box.bottom - box.top, pad)
            picture_box = Box(
                box.left + pad, box.top + pad, box.left + pad + side, box.bottom - pad
            )
        room = box.right - (picture_box.right if picture_box else box.left) - 2 * pad
        lines, used, overflow = m.fit(label, size, least, True, room, box.bottom - box.top - 4)
        return Placed(
            element,
            box,
            tuple(lines),
            used,
            True,
            ink,
            ground,
            overflow,
            button.enabled,
            "button",
            picture=button.picture,
            picture_box=picture_box,
        )

    # The title bar, with the TEST badge and the page indicator at its right.
    title_h = max(
        style.px(z.title, text=True, large=z.large),
        style.px(z.title_text, text=True, large=z.large) + 2 * gap,
    )
    title_size = style.px(z.title_text, text=True, large=z.large)
    if m.fit(screen.title, title_size, least, True, width - 2 * margin - style.px(25), title_h)[2]:
        title_h = 2 * line_height(least) + 2 * gap  # a long title: two lines of small type
    title_bg = pal.warning_bg if screen.warning else pal.title_bg
    bar = Placed(
        Element(Part.TITLE, ""),
        Box(0, 0, width, title_h),
        (),
        0,
        False,
        pal.title_ink,
        title_bg,
        False,
        False,
        "bar",
    )
    placed.append(bar)
    right = width - margin
    if screen.test_mode:
        badge_w = round(m.width("TEST", title_size, True)) + 2 * gap
        badge = Box(right - badge_w, gap, right, title_h - gap)
        placed.append(
            Placed(
                Element(Part.LINE, "TEST"),
                badge,
                ("TEST",),
                title_size,
                True,
                pal.test_ink,
                pal.test_bg,
                False,
                False,
                "badge",
            )
        )
        right = badge.left - gap
    # Choices: as many rows as fit, in pages when they do not all fit.
    has_bar = bool(screen.actions or screen.choices)
    actions_h = (
        max(style.px(z.action, text=True, large=z.large), style.min_target_px) if has_bar else 0
    )
    cell_h = max(style.px(z.cell, text=True, large=z.large), style.min_target_px)
    y = title_h + margin
    bottom = height - (actions_h + 2 * margin if has_bar else margin)
    big_size = style.px(z.big_text, text=True, large=z.large)
    big_h = gap + line_height(big_size) if screen.big_line else 0
    # Body text: its size, down to the smallest allowed, at which it leaves room for the
    # big line and one row of choices.
    room = bottom - y - big_h - (cell_h + 2 * gap if screen.choices else 0)
    body_size = style.px(z.body_text, text=True, large=z.large)
    while True:
        wrapped = [m.wrap(line, body_size, False, width - 2 * margin) for line in screen.lines]
        tall = sum(len(w) for w in wrapped) * line_height(body_size)
        if tall <= room or body_size <= least:
            break
        body_size = max(least, body_size - 1)
    body: list[Placed] = []
    for line, lines in zip(screen.lines, wrapped, strict=True):
        box = Box(margin, y, width - margin, y + len(lines) * line_height(body_size))
        body.append(
            text_item(
                screen.text_element(Part.LINE, line), box, body_size, False, pal.ink, pal.background
            )
        )
        y = box.bottom
    if screen.big_line:
        box = Box(margin, y + gap, width - margin, y + big_h)
        body.append(
            text_item(
                Element(Part.BIG_LINE, screen.big_line),
                box,
                big_size,
                True,
                pal.ink,
                pal.background,
                "center",
            )
        )
        y = box.bottom
    page, pages = 0, 1
    grid: list[Placed] = []
    if screen.choices:
        y += gap
        choices = screen.choices
        rows_fit = max(1, (bottom - y + gap) // (cell_h + gap))
        label_size = style.px(z.button_text, text=True, large=z.large)

        def labels_fit(columns: int) -> bool:
            w = (width - 2 * margin - gap * (columns - 1)) // columns
            pad = style.px(1.5)
            pictured = w - 2 * pad - picture_side(cell_h, pad) - pad
            return w >= style.min_target_px and all(
                not m.fit(b.label + TICK, label_size, least, True,
                          (pictured if b.picture else w - 2 * pad), cell_h - 4)[2]
                for b in choices
            )  # fmt: skip

        columns = screen.columns
        while columns > 1 and not labels_fit(columns):  # long names: fewer, wider buttons
            columns -= 1
        if not screen.paged:
            # A keypad is never split over pages: more columns while its keys still fit.
            while -(-len(choices) // columns) > rows_fit and labels_fit(columns + 1):
                columns += 1
        per_page = rows_fit * columns if screen.paged else len(choices)
        pages = -(-len(choices) // per_page)
        page = min(max(screen.page, 0), pages - 1)
        shown = choices[page * per_page : (page + 1) * per_page]
        cell_w = (width - 2 * margin - gap * (columns - 1)) // columns
        for index, button in enumerate(shown):
            row, col = divmod(index, columns)
            left = margin + col * (cell_w + gap)
            top = y + row * (cell_h + gap)
            grid.append(
                button_item(
                    _element(Part.CHOICE, button),
                    Box(left, top, left + cell_w, top + cell_h),
                    style.px(z.button_text, text=True, large=z.large),
                    button,
                )
            )
        if grid and grid[-1].box.bottom > bottom:  # not even one row fits: it overflows
            last = grid[-1]
            grid[-1] = dataclasses.replace(last, overflow=True)
    # The title's text, once the page indicator's room is known.
    if pages > 1:
        indicator = f"{page + 1} / {pages}"
        ind_w = round(m.width(indicator, title_size, True)) + gap
        ind_box = Box(right - ind_w, 0, right, title_h)
        placed.append(
            Placed(
                Element(Part.PAGE, indicator, spoken=screen.page_words.indicator(page + 1, pages)),
                ind_box,
                (indicator,),
                title_size,
                True,
                pal.title_ink,
                title_bg,
                False,
                False,
                "text",
                "center",
            )
        )
        right = ind_box.left - gap
    placed.append(
        text_item(
            screen.text_element(Part.TITLE, screen.title),
            Box(margin, 0, right, title_h),
            title_size,
            True,
            pal.title_ink,
            title_bg,
        )
    )
    placed.extend(body)
    placed.extend(grid)
    # The action bar: previous page, the screen's actions, next page.
    bar_buttons = list(screen.actions)
    if pages > 1:
        words = screen.page_words
        bar_buttons = [
            Button(PAGE_PREVIOUS, "◀", enabled=page > 0, spoken=_said(words.previous)),
            *bar_buttons,
            Button(PAGE_NEXT, "▶", enabled=page < pages - 1, spoken=_said(words.next)),
        ]
    if bar_buttons:
        top = height - margin - actions_h
        pager_w = max(style.px(PAGER_MM), style.min_target_px)
        fixed = sum(pager_w for b in bar_buttons if b.id in (PAGE_PREVIOUS, PAGE_NEXT))
        flexible = [b for b in bar_buttons if b.id not in (PAGE_PREVIOUS, PAGE_NEXT)]
        room = width - 2 * margin - gap * (len(bar_buttons) - 1) - fixed
        flex_w = room // len(flexible) if flexible else 0
        left = margin
        for button in bar_buttons:
            w = pager_w if button.id in (PAGE_PREVIOUS, PAGE_NEXT) else flex_w
            part = Part.ACTION
            placed.append(
                button_item(
                    _element(part, button),
                    Box(left, top, left + w, top + actions_h),
                    style.px(z.button_text, text=True, large=z.large),
                    button,
                )
            )
            left += w + gap
    return Layout(width, height, style, tuple(placed), page, pages)


def draw(plan: Layout, fonts: Fonts, focus: str | None = None) -> Image.Image:
    """Draw a laid-out screen, with a ring inside the button the keypad has focused."""
    image = Image.new("RGB", (plan.width, plan.height), plan.style.palette.background)
    pen = ImageDraw.Draw(image)
    radius = plan.style.px(1.6)
    edge = max(2, plan.style.px(0.4))
    for item in plan.placed:
        box = item.box
        if item.shape == "bar":
            pen.rectangle((box.left, box.top, box.right - 1, box.bottom - 1), fill=item.ground)
            continue
        if item.shape == "badge":
            pen.rectangle((box.left, box.top, box.right - 1, box.bottom - 1), fill=item.ground)
        if item.shape == "button":
            outline = plan.style.palette.button_edge
            pen.rounded_rectangle(
                (box.left, box.top, box.right - 1, box.bottom - 1),
                radius=radius,
                fill=item.ground,
                outline=outline,
                width=edge,
            )
            if focus is not None and item.element.target == focus:
                # Inside the button, in its own text colour (7:1 on its ground, checked),
                # so the ring overlaps nothing and is as legible as the label.
                inset = edge + 1
                pen.rounded_rectangle(
                    (
                        box.left + inset,
                        box.top + inset,
                        box.right - 1 - inset,
                        box.bottom - 1 - inset,
                    ),
                    radius=radius,
                    outline=item.ink,
                    width=max(3, plan.style.px(0.8)),
                )
        if item.picture is not None and item.picture_box is not None:
            p = item.picture_box
            image.paste(_plate(item.picture, p.right - p.left, p.bottom - p.top), (p.left, p.top))
        step = line_height(item.font_px)
        top = (box.top + box.bottom) // 2 - step * len(item.lines) // 2
        if item.shape == "text" and item.align == "left" and item.element.part is Part.LINE:
            top = box.top
        path = fonts.bold if item.bold else fonts.regular
        for index, line in enumerate(item.lines):
            cy = top + step * index + step // 2
            if item.align == "left":
                at, anchor = (box.left, cy), "lm"
            else:
                at, anchor = ((item.text_left + box.right) // 2, cy), "mm"
            mask, (left, top_edge) = _text_mask(path, item.font_px, line, anchor)
            pen.bitmap((at[0] + left, at[1] + top_edge), mask, fill=item.ink)
    return image


@lru_cache(maxsize=256)
def _plate(picture: Picture, width: int, height: int) -> Image.Image:
    """The picture scaled to fit a box, centred on white (a logo's ground on the paper
    ballot, kept in high contrast too: a logo's colours are the party's). Remembered: the
    same logos are drawn for every voter."""
    plate = Image.new("RGB", (width, height), (255, 255, 255))
    source = picture.image
    scale = min(width / source.width, height / source.height)
    size = (max(1, round(source.width * scale)), max(1, round(source.height * scale)))
    scaled = source.convert("RGB").resize(size, Image.Resampling.LANCZOS)
    plate.paste(scaled, ((width - size[0]) // 2, (height - size[1]) // 2))
    return plate


@lru_cache(maxsize=1024)
def _text_mask(path: str, size: int, text: str, anchor: str) -> tuple[Image.Image, tuple[int, int]]:
    """A line's glyph coverage and where it sits from its anchor point: the same pixels
    ImageDraw.text blends in. Remembered because every voter's screens repeat the same
    lines, and rendering a line is most of a frame's drawing on Debian 12's Pillow 9.4
    (3-6 ms a line, some ten times that on a Zero 2 W)."""
    font = _font(path, size)
    left, top, right, bottom = (int(v) for v in font.getbbox(text, anchor=anchor))
    mask = Image.new("L", (max(1, right - left), max(1, bottom - top)))
    ImageDraw.Draw(mask).text((-left, -top), text, font=font, fill=255, anchor=anchor)
    return mask, (left, top)


def frame_of(plan: Layout, name: str, fonts: Fonts, focus: str | None = None) -> Frame:
    """The drawn frame of a layout, with its touch targets (enabled buttons only) and the
    keypad's focus (None: not drawn)."""
    targets = tuple(
        Target(p.element.target, p.element.text, p.box)
        for p in plan.placed
        if p.touch and p.element.target is not None
    )
    return Frame(name, draw(plan, fonts, focus), targets, focus)


def dark(frame: Frame) -> Frame:
    """The frame with nothing on it, for a voter voting by audio who turned the screen off:
    no touch targets either (a tap on the dark glass does nothing); the keys still walk the
    screen's layout and its focus is kept."""
    return Frame(frame.name, Image.new(frame.image.mode, frame.image.size, 0), (), frame.focus)


def render(
    screen: Screen, width: int, height: int, fonts: Fonts, style: Style | None = None
) -> Frame:
    """Lay out and draw a screen; disabled buttons are drawn but are not touch targets."""
    return frame_of(layout(screen, width, height, fonts, style or Style()), screen.name, fonts)

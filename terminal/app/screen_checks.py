"""Checks every laid-out screen keeps: tap targets of 9 mm, text of 3 mm, contrast of 7:1,
nothing outside its box or the screen, nothing drawn over anything else.

They read the layout (`screens.layout`), the same placed elements that are drawn, at the
panel's physical size from the board config, so a screen passes or fails as the voter
would see it on that panel.
"""

from __future__ import annotations

from terminal.app.screens import Colour, Layout, Placed

TARGET_MM = 9.0
TEXT_MM = 3.0
CONTRAST = 7.0  # WCAG 2 AAA for text


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: Colour) -> float:
    r, g, b = (_linear(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: Colour, b: Colour) -> float:
    """The WCAG 2 contrast ratio of two colours, from 1 to 21."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _overlap(a: Placed, b: Placed) -> bool:
    x = min(a.box.right, b.box.right) - max(a.box.left, b.box.left)
    y = min(a.box.bottom, b.box.bottom) - max(a.box.top, b.box.top)
    return x > 0 and y > 0


def problems(plan: Layout) -> list[str]:
    """Every way the screen breaks the rules, in words; empty when it keeps them all."""
    ppm = plan.style.px_per_mm
    found: list[str] = []
    for item in plan.placed:
        box, text = item.box, item.element.text or item.element.part.value
        if box.left < 0 or box.top < 0 or box.right > plan.width or box.bottom > plan.height:
            found.append(
                f"{text!r}: its box {box} is outside the {plan.width}x{plan.height} screen"
            )
        if item.overflow:
            found.append(f"{text!r}: the text does not fit its box {box}")
        if item.touch:
            w, h = (box.right - box.left) / ppm, (box.bottom - box.top) / ppm
            if min(w, h) < TARGET_MM:
                found.append(f"{text!r}: the tap target is {w:.1f} x {h:.1f} mm (< {TARGET_MM})")
        if item.lines:
            if item.font_px / ppm < TEXT_MM:
                found.append(f"{text!r}: text {item.font_px / ppm:.1f} mm high (< {TEXT_MM})")
            ratio = contrast(item.ink, item.ground)
            if ratio < CONTRAST:
                found.append(f"{text!r}: contrast {ratio:.1f}:1 (< {CONTRAST}:1)")
    drawn = [p for p in plan.placed if p.shape != "bar"]
    for index, a in enumerate(drawn):
        for b in drawn[index + 1 :]:
            if _overlap(a, b):
                found.append(f"{a.element.text!r} and {b.element.text!r} are drawn over each other")
    return found

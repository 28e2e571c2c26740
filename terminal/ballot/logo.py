"""A party's logo: the PNG image a party-list choice shows beside its number and name.

The definition names the file; `election create` checks it here and copies it, the signed
package binds it by SHA-256 (`Party.logo`, terminal/ballot/package.py), and the terminal
checks it here again when it installs or starts with the package, before a screen draws
it (terminal/app/screens.py). Both sides read it with the same checks, so a logo that
passes at the commission's desk is one every terminal can draw.
"""

from __future__ import annotations

import io
import struct
import warnings

from PIL import Image

LOGO_CAP = 512 << 10  # a logo drawn some 10 mm high needs far less
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MIN_SIDE_PX = 32  # a smaller image is a blur at the button's size
MAX_SIDE_PX = 1024  # the decoded image stays under 4 MB in the terminal's memory


class LogoError(ValueError):
    """The file is not a logo the terminal can draw; the message names it and says why."""


def check_logo(data: bytes, name: str) -> Image.Image:
    """The logo as an RGB image, its transparent parts white (the paper ballot's ground).

    Raises LogoError unless `data` is a PNG file of at most LOGO_CAP bytes whose sides are
    MIN_SIDE_PX to MAX_SIDE_PX pixels. The size is read from the header and checked before
    Pillow opens the file, so a small file declaring a huge image is refused unread."""
    if len(data) > LOGO_CAP:
        raise LogoError(f"{name}: {len(data)} bytes; a logo is at most {LOGO_CAP} bytes")
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR" or len(data) < 24:
        raise LogoError(f"{name}: not a PNG file")
    # The first chunk's size, read before Pillow opens anything.
    width, height = struct.unpack(">II", data[16:24])
    if not (MIN_SIDE_PX <= width <= MAX_SIDE_PX and MIN_SIDE_PX <= height <= MAX_SIDE_PX):
        raise LogoError(
            f"{name}: {width} x {height} pixels; each side of a logo is "
            f"{MIN_SIDE_PX} to {MAX_SIDE_PX} pixels"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
                if image.size != (width, height):
                    raise LogoError(f"{name}: not a readable PNG image (its size is unclear)")
                image.load()
                rgba = image.convert("RGBA")
    except LogoError:
        raise
    except (
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
    ) as exc:
        raise LogoError(f"{name}: not a readable PNG image ({exc})") from exc
    ground = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    ground.alpha_composite(rgba)
    return ground.convert("RGB")

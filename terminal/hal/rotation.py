"""A panel mounted turned from its native orientation: the picture and the touches turned to match.

`rotation` is how many degrees clockwise the panel is mounted. The picture is then turned the
same number of degrees counter-clockwise on its way to the panel, which is what the kernel's
`video=...,rotate=N` option and DRM_MODE_ROTATE_N mean (include/uapi/drm/drm_mode.h: "rotate
N degrees counter clockwise"), so a board config's rotation is the number a Raspberry Pi
guide would give for the same panel. Touch controllers report in the panel's native
coordinates, so touches are turned back with the inverse, `to_logical`.

"Logical" is the picture the UI draws; "panel" is the framebuffer's native pixel grid.
"""

from __future__ import annotations

from PIL import Image

ROTATIONS = (0, 90, 180, 270)

# Pillow's ROTATE_N turns the image N degrees counter-clockwise.
_TRANSPOSE = {
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_270,
}


def logical_size(rotation: int, panel_width: int, panel_height: int) -> tuple[int, int]:
    """The size the UI draws at on a panel of the given native size."""
    _check(rotation)
    if rotation in (90, 270):
        return panel_height, panel_width
    return panel_width, panel_height


def to_panel(image: Image.Image, rotation: int) -> Image.Image:
    """The logical picture turned as the panel must show it."""
    _check(rotation)
    return image if rotation == 0 else image.transpose(_TRANSPOSE[rotation])


def to_logical(
    rotation: int, panel_width: int, panel_height: int, x: int, y: int
) -> tuple[int, int]:
    """The logical pixel shown at panel pixel (x, y): the inverse of `to_panel`."""
    _check(rotation)
    if rotation == 90:
        return panel_height - 1 - y, x
    if rotation == 180:
        return panel_width - 1 - x, panel_height - 1 - y
    if rotation == 270:
        return y, panel_width - 1 - x
    return x, y


def _check(rotation: int) -> None:
    if rotation not in ROTATIONS:
        raise ValueError(f"rotation {rotation}: must be one of {ROTATIONS}")

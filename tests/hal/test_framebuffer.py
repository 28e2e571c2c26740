"""The framebuffer display against a regular file standing in for /dev/fb0: pixel formats,
stride, panning offset, rotation, whole-frame writes, and the console kept quiet."""

from __future__ import annotations

import ctypes
import logging
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from terminal.hal.framebuffer import (
    CONSOLE_QUIET,
    Bitfield,
    FixScreenInfo,
    FramebufferDisplay,
    FramebufferError,
    FramebufferGeometry,
    VarScreenInfo,
    geometry_from,
    pack,
    read_geometry,
)
from terminal.hal.interfaces import Frame
from terminal.hal.rotation import ROTATIONS, logical_size, to_logical, to_panel

from .geometries import rgb565, xrgb8888

RED = (255, 0, 0)


def fake_fb(tmp_path: Path, geometry: FramebufferGeometry) -> Path:
    device = tmp_path / "fb0"
    device.write_bytes(b"\xee" * geometry.memory_size)
    return device


def open_display(
    tmp_path: Path, geometry: FramebufferGeometry, rotation: int = 0
) -> FramebufferDisplay:
    return FramebufferDisplay(fake_fb(tmp_path, geometry), rotation, None, None, geometry=geometry)


def random_image(width: int, height: int, seed: int) -> tuple[Image.Image, np.ndarray]:
    rgb = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    return Image.fromarray(rgb, "RGB"), rgb.astype(np.uint32)


def test_rgb565_packing_is_exact_for_every_pixel() -> None:
    geometry = rgb565(37, 23)
    image, rgb = random_image(37, 23, seed=1)
    data = np.frombuffer(pack(image, geometry), dtype="<u2").reshape(23, 37)
    expected = ((rgb[..., 0] >> 3) << 11) | ((rgb[..., 1] >> 2) << 5) | (rgb[..., 2] >> 3)
    assert (data == expected).all()


def test_primary_colours_in_rgb565_and_xrgb8888() -> None:
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (0, 0, 0), (8, 4, 8)]
    image = Image.new("RGB", (len(colours), 1))
    image.putdata(colours)
    assert np.frombuffer(pack(image, rgb565(6, 1)), dtype="<u2").tolist() == [
        0xF800, 0x07E0, 0x001F, 0xFFFF, 0x0000, 0x0821
    ]  # fmt: skip
    assert np.frombuffer(pack(image, xrgb8888(6, 1)), dtype="<u4").tolist() == [
        0x00FF0000, 0x0000FF00, 0x000000FF, 0x00FFFFFF, 0x00000000, 0x00080408
    ]  # fmt: skip
    # Byte by byte in memory, as a little-endian Pi stores them: B, G, R, X.
    assert pack(image, xrgb8888(6, 1))[:4] == bytes([0, 0, 255, 0])


def test_xrgb8888_packing_is_exact_and_other_layouts_follow_the_bitfields() -> None:
    image, rgb = random_image(16, 9, seed=2)
    data = np.frombuffer(pack(image, xrgb8888(16, 9)), dtype="<u4").reshape(9, 16)
    assert (data == (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]).all()
    # A BGR layout with an alpha byte, as some fbdev drivers report: alpha is made opaque.
    abgr = FramebufferGeometry(
        "abgr", 16, 9, 32, 64, Bitfield(0, 8), Bitfield(8, 8), Bitfield(16, 8), Bitfield(24, 8),
        0, 0, 64 * 9,
    )  # fmt: skip
    data = np.frombuffer(pack(image, abgr), dtype="<u4").reshape(9, 16)
    assert (data == 0xFF000000 | (rgb[..., 2] << 16) | (rgb[..., 1] << 8) | rgb[..., 0]).all()


def test_any_pillow_mode_is_packed_as_its_rgb() -> None:
    grey = Image.new("L", (4, 2), 255)
    one_bit = Image.new("1", (4, 2), 1)
    for image in (grey, one_bit):
        assert set(np.frombuffer(pack(image, rgb565(4, 2)), dtype="<u2").tolist()) == {0xFFFF}


def test_padded_rows_keep_the_stride(tmp_path: Path) -> None:
    # 10 pixels of 2 bytes in rows of 32 bytes (drivers align rows): pixels start every row.
    geometry = rgb565(10, 3, line_length=32)
    display = open_display(tmp_path, geometry)
    image = Image.new("RGB", (10, 3), (0, 0, 0))
    image.putpixel((9, 2), RED)
    display.show(Frame("test", image))
    data = (tmp_path / "fb0").read_bytes()
    assert len(data) == geometry.memory_size
    assert data[2 * 32 + 9 * 2 : 2 * 32 + 10 * 2] == (0xF800).to_bytes(2, "little")
    # Row padding is written with zeros, and nothing beyond the last visible pixel.
    assert data[20:32] == bytes(12)
    assert data[2 * 32 + 20 :] == b"\xee" * 12


def test_the_visible_area_starts_at_the_panning_offset(tmp_path: Path) -> None:
    # Double-buffered fbdev emulation: the visible screen is the second half.
    geometry = xrgb8888(8, 4, yoffset=4)
    display = open_display(tmp_path, geometry)
    display.show(Frame("test", Image.new("RGB", (8, 4), RED)))
    data = (tmp_path / "fb0").read_bytes()
    assert data[: 8 * 4 * 4] == b"\xee" * 128, "the hidden half is untouched"
    assert data[128:] == bytes([0, 0, 255, 0]) * 32


@pytest.mark.parametrize("rotation", ROTATIONS)
@pytest.mark.parametrize("make", [rgb565, xrgb8888])
def test_rotation_puts_each_logical_pixel_where_touch_maps_back_from(
    rotation: int, make: object, tmp_path: Path
) -> None:
    assert callable(make)
    geometry: FramebufferGeometry = make(8, 5)
    display = open_display(tmp_path, geometry, rotation)
    assert (display.width, display.height) == logical_size(rotation, 8, 5)
    assert (display.width, display.height) == ((5, 8) if rotation in (90, 270) else (8, 5))
    bpp = geometry.bytes_per_pixel
    red = pack(Image.new("RGB", (1, 1), RED), make(1, 1))
    for x, y in [(0, 0), (display.width - 1, 0), (1, display.height - 2), (2, 3)]:
        image = Image.new("RGB", (display.width, display.height), (0, 0, 0))
        image.putpixel((x, y), RED)
        display.show(Frame("test", image))
        data = (tmp_path / "fb0").read_bytes()
        lit = [
            (i // bpp % geometry.width, i // bpp // geometry.width)
            for i in range(0, len(data), bpp)
            if data[i : i + bpp] == red
        ]
        assert len(lit) == 1
        assert to_logical(rotation, geometry.width, geometry.height, *lit[0]) == (x, y)


def test_rotation_by_90_turns_the_picture_counter_clockwise_like_drm() -> None:
    # A panel mounted a quarter turn clockwise: the logical top-left corner is at the
    # panel's bottom-left (DRM_MODE_ROTATE_90 turns the picture counter-clockwise).
    logical = Image.new("RGB", (4, 2), (0, 0, 0))
    logical.putpixel((0, 0), RED)
    panel = to_panel(logical, 90)
    assert panel.size == (2, 4)
    assert panel.getpixel((0, 3)) == RED
    assert to_logical(90, 2, 4, 0, 3) == (0, 0)


def test_a_frame_is_one_write_of_the_whole_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    geometry = rgb565(800, 480)
    display = open_display(tmp_path, geometry)
    writes: list[tuple[int, int]] = []
    real_pwrite = os.pwrite

    def pwrite(fd: int, data: bytes, offset: int) -> int:
        writes.append((len(data), offset))
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", pwrite)
    display.show(Frame("test", Image.new("RGB", (800, 480), (1, 2, 3))))
    assert writes == [(800 * 480 * 2, 0)]


def test_a_frame_of_the_wrong_size_is_refused(tmp_path: Path) -> None:
    display = open_display(tmp_path, rgb565(8, 4), rotation=90)
    with pytest.raises(ValueError, match="the screen is 4x8"):
        display.show(Frame("test", Image.new("RGB", (8, 4))))
    display.close()


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"bits_per_pixel": 24}, "24 bits per pixel"),
        ({"bits_per_pixel": 8}, "8 bits per pixel"),
        ({"green": Bitfield(5, 9)}, "green channel"),
        ({"red": Bitfield(12, 5)}, "red channel"),
        ({"line_length": 14}, "rows of 14 bytes"),
        ({"memory_size": 8 * 2 * 4 - 1}, "beyond its"),
        ({"yoffset": 1}, "beyond its"),
        ({"width": 0}, "no visible area"),
    ],
)
def test_unsupported_framebuffers_are_refused(
    change: dict[str, object], problem: str, tmp_path: Path
) -> None:
    fields = {**rgb565(8, 4).__dict__, **change}
    geometry = FramebufferGeometry(**fields)  # type: ignore[arg-type]
    with pytest.raises(FramebufferError, match=problem):
        open_display(tmp_path, geometry)


def test_the_screeninfo_structs_have_the_kernels_layout() -> None:
    # include/uapi/linux/fb.h: fb_var_screeninfo is 40 u32; fb_fix_screeninfo's unsigned
    # longs move line_length to 48 (64-bit) or 44 (32-bit armhf).
    assert ctypes.sizeof(VarScreenInfo) == 160
    assert VarScreenInfo.red.offset == 32
    assert VarScreenInfo.rotate.offset == 34 * 4
    long = ctypes.sizeof(ctypes.c_ulong)
    assert ctypes.sizeof(FixScreenInfo) == (80 if long == 8 else 68)
    assert FixScreenInfo.smem_len.offset == 16 + long
    assert FixScreenInfo.line_length.offset == (48 if long == 8 else 44)


def test_geometry_from_what_virtio_gpu_reports() -> None:
    var = VarScreenInfo(xres=800, yres=480, xres_virtual=800, yres_virtual=480)
    var.bits_per_pixel = 32
    var.red.offset, var.red.length = 16, 8
    var.green.offset, var.green.length = 8, 8
    var.blue.offset, var.blue.length = 0, 8
    fix = FixScreenInfo(id=b"virtio_gpudrmfb", smem_len=800 * 480 * 4, line_length=3200)
    geometry = geometry_from(var, fix)
    assert geometry == xrgb8888(800, 480)
    var.blue.msb_right = 1
    with pytest.raises(FramebufferError, match="bit-reversed"):
        geometry_from(var, fix)


def test_a_file_that_is_not_a_framebuffer_is_refused(tmp_path: Path) -> None:
    device = tmp_path / "fb0"
    device.write_bytes(bytes(64))
    with pytest.raises(FramebufferError, match="not a framebuffer device"):
        FramebufferDisplay(device, 0, None, None)
    fd = os.open(device, os.O_RDONLY)
    try:
        with pytest.raises(FramebufferError):
            read_geometry(fd)
    finally:
        os.close(fd)
    with pytest.raises(FileNotFoundError):
        FramebufferDisplay(tmp_path / "fb9", 0, None, None, geometry=rgb565(8, 4))


def test_the_console_cursor_is_hidden_and_blanking_stopped(tmp_path: Path) -> None:
    tty = tmp_path / "tty1"
    tty.write_bytes(b"")
    blink = tmp_path / "cursor_blink"
    blink.write_text("1")
    geometry = rgb565(8, 4)
    FramebufferDisplay(fake_fb(tmp_path, geometry), 0, tty, blink, geometry=geometry)
    assert tty.read_bytes() == CONSOLE_QUIET == b"\033[?25l\033[9;0]"
    assert blink.read_text() == "0"


def test_failing_to_quiet_the_console_is_only_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    geometry = rgb565(8, 4)
    with caplog.at_level(logging.WARNING):
        display = FramebufferDisplay(
            fake_fb(tmp_path, geometry),
            0,
            tmp_path / "no-tty",
            tmp_path / "no-such-dir" / "cursor_blink",
            geometry=geometry,
        )
    assert display.width == 8
    assert "cannot hide the console cursor" in caplog.text
    assert "cannot stop the console cursor blinking" in caplog.text

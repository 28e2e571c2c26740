"""The Linux framebuffer (/dev/fb0) as a Display: the real panel's driver.

Everything about the framebuffer is asked of the kernel, never assumed: its size, its stride
(bytes per row, which may include padding) and its pixel format come from the
FBIOGET_VSCREENINFO and FBIOGET_FSCREENINFO ioctls. The Raspberry Pi's KMS driver (vc4)
offers RGB565 on the Pi 0-4, the Pi 5 and QEMU's virtio-gpu XRGB8888, and an SPI panel
through fbtft RGB565; any 16- or 32-bit true-colour layout is packed from the red, green
and blue bit fields the kernel reports. Pillow has no RGB565 packer, so packing is numpy's.

A frame is written with one pwrite of the whole visible area: the voter never sees a screen
half old and half new (short of the panel's own scan-out, which no fbdev write can sync to).

The text console shares the framebuffer: its blinking cursor would draw over the picture and
its screen blanking would turn the panel off after ten minutes, so both are switched off at
open. A kiosk can lack the permissions for it (the sysfs file is root's): that is a warning,
and docs/raspberry-pi.md shows how the boot settings do the same.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from terminal.hal.interfaces import Frame
from terminal.hal.rotation import logical_size, to_panel

log = logging.getLogger(__name__)

# include/uapi/linux/fb.h: the two ioctls predate _IOR encoding and are plain numbers.
FBIOGET_VSCREENINFO = 0x4600
FBIOGET_FSCREENINFO = 0x4602
# drivers/video/fbdev/core/fbcon.c: writing 0 stops the console cursor's blinking redraws.
FBCON_CURSOR_BLINK = Path("/sys/class/graphics/fbcon/cursor_blink")
# console_codes(4): hide the cursor (DECTCEM), and set the screen-blank timeout to 0 (never).
CONSOLE_QUIET = b"\033[?25l\033[9;0]"


class FramebufferError(ValueError):
    """The device is not a framebuffer, or one whose format the terminal cannot drive."""


class _Bitfield(ctypes.Structure):
    _fields_ = (
        ("offset", ctypes.c_uint32),
        ("length", ctypes.c_uint32),
        ("msb_right", ctypes.c_uint32),
    )


class VarScreenInfo(ctypes.Structure):
    """struct fb_var_screeninfo (include/uapi/linux/fb.h), 160 bytes on every architecture."""

    _fields_ = (
        ("xres", ctypes.c_uint32),
        ("yres", ctypes.c_uint32),
        ("xres_virtual", ctypes.c_uint32),
        ("yres_virtual", ctypes.c_uint32),
        ("xoffset", ctypes.c_uint32),
        ("yoffset", ctypes.c_uint32),
        ("bits_per_pixel", ctypes.c_uint32),
        ("grayscale", ctypes.c_uint32),
        ("red", _Bitfield),
        ("green", _Bitfield),
        ("blue", _Bitfield),
        ("transp", _Bitfield),
        ("nonstd", ctypes.c_uint32),
        ("activate", ctypes.c_uint32),
        ("height", ctypes.c_uint32),
        ("width", ctypes.c_uint32),
        ("accel_flags", ctypes.c_uint32),
        ("pixclock", ctypes.c_uint32),
        ("left_margin", ctypes.c_uint32),
        ("right_margin", ctypes.c_uint32),
        ("upper_margin", ctypes.c_uint32),
        ("lower_margin", ctypes.c_uint32),
        ("hsync_len", ctypes.c_uint32),
        ("vsync_len", ctypes.c_uint32),
        ("sync", ctypes.c_uint32),
        ("vmode", ctypes.c_uint32),
        ("rotate", ctypes.c_uint32),
        ("colorspace", ctypes.c_uint32),
        ("reserved", ctypes.c_uint32 * 4),
    )


class FixScreenInfo(ctypes.Structure):
    """struct fb_fix_screeninfo: its `unsigned long` fields make it 80 bytes on a 64-bit
    kernel and 68 on a 32-bit one, which ctypes' native layout follows (Raspberry Pi OS
    ships both)."""

    _fields_ = (
        ("id", ctypes.c_char * 16),
        ("smem_start", ctypes.c_ulong),
        ("smem_len", ctypes.c_uint32),
        ("type", ctypes.c_uint32),
        ("type_aux", ctypes.c_uint32),
        ("visual", ctypes.c_uint32),
        ("xpanstep", ctypes.c_uint16),
        ("ypanstep", ctypes.c_uint16),
        ("ywrapstep", ctypes.c_uint16),
        ("line_length", ctypes.c_uint32),
        ("mmio_start", ctypes.c_ulong),
        ("mmio_len", ctypes.c_uint32),
        ("accel", ctypes.c_uint32),
        ("capabilities", ctypes.c_uint16),
        ("reserved", ctypes.c_uint16 * 2),
    )


@dataclass(frozen=True)
class Bitfield:
    """Where a colour channel sits in a pixel: its lowest bit and its width in bits."""

    offset: int
    length: int


@dataclass(frozen=True)
class FramebufferGeometry:
    """What the terminal needs to know of a framebuffer, as the kernel reports it."""

    name: str  # the driver's id, for messages ("vc4drmfb", "virtio_gpudrmfb", "fb_ili9486")
    width: int  # visible pixels, in the panel's native orientation
    height: int
    bits_per_pixel: int
    line_length: int  # bytes from one row to the next
    red: Bitfield
    green: Bitfield
    blue: Bitfield
    transp: Bitfield  # length 0 when the format has no alpha (XRGB8888, RGB565)
    xoffset: int  # the visible area's corner within the virtual screen (panning)
    yoffset: int
    memory_size: int  # bytes of framebuffer memory

    @property
    def bytes_per_pixel(self) -> int:
        return self.bits_per_pixel // 8

    @property
    def start(self) -> int:
        """Byte offset of the first visible pixel."""
        return self.yoffset * self.line_length + self.xoffset * self.bytes_per_pixel

    @property
    def visible_bytes(self) -> int:
        """Bytes from the first visible pixel to the last: the last row's padding excluded."""
        return (self.height - 1) * self.line_length + self.width * self.bytes_per_pixel

    def check(self) -> None:
        """Raise FramebufferError unless `pack` can fill this framebuffer."""
        problem = self._problem()
        if problem:
            raise FramebufferError(f"framebuffer {self.name!r}: {problem}")

    def _problem(self) -> str:
        if self.width <= 0 or self.height <= 0:
            return f"no visible area ({self.width}x{self.height})"
        if self.bits_per_pixel not in (16, 32):
            return f"{self.bits_per_pixel} bits per pixel; only 16 and 32 are supported"
        for name, field in (("red", self.red), ("green", self.green), ("blue", self.blue)):
            if not 1 <= field.length <= 8 or field.offset + field.length > self.bits_per_pixel:
                return f"{name} channel at bit {field.offset}, {field.length} bits: unsupported"
        if self.transp.offset + self.transp.length > self.bits_per_pixel:
            return f"alpha channel beyond the pixel ({self.transp})"
        if self.line_length < self.width * self.bytes_per_pixel:
            return f"rows of {self.line_length} bytes cannot hold {self.width} pixels"
        if self.start + self.visible_bytes > self.memory_size:
            return f"the visible area ends beyond its {self.memory_size} bytes of memory"
        return ""


def geometry_from(var: VarScreenInfo, fix: FixScreenInfo) -> FramebufferGeometry:
    """The geometry that the two screeninfo structs describe."""
    name = fix.id.decode("ascii", errors="replace")
    # msb_right set means the channel's bits run the other way round; no Pi driver does that.
    for channel in ("red", "green", "blue"):
        if getattr(var, channel).msb_right:
            raise FramebufferError(f"framebuffer {name!r}: {channel} channel is bit-reversed")
    return FramebufferGeometry(
        name=name,
        width=var.xres,
        height=var.yres,
        bits_per_pixel=var.bits_per_pixel,
        line_length=fix.line_length,
        red=Bitfield(var.red.offset, var.red.length),
        green=Bitfield(var.green.offset, var.green.length),
        blue=Bitfield(var.blue.offset, var.blue.length),
        transp=Bitfield(var.transp.offset, var.transp.length),
        xoffset=var.xoffset,
        yoffset=var.yoffset,
        memory_size=fix.smem_len,
    )


def read_geometry(fd: int) -> FramebufferGeometry:
    """Ask the kernel for the geometry of the framebuffer open as `fd`."""
    var = VarScreenInfo()
    fix = FixScreenInfo()
    try:
        fcntl.ioctl(fd, FBIOGET_VSCREENINFO, var)
        fcntl.ioctl(fd, FBIOGET_FSCREENINFO, fix)
    except OSError as exc:
        if exc.errno in (errno.ENOTTY, errno.EINVAL):
            raise FramebufferError(f"not a framebuffer device: {exc.strerror}") from exc
        raise
    return geometry_from(var, fix)


def pack(image: Image.Image, geometry: FramebufferGeometry) -> bytes:
    """The bytes of the visible area showing `image` (the panel's size, any Pillow mode)."""
    if image.size != (geometry.width, geometry.height):
        raise ValueError(f"image {image.size} for a {geometry.width}x{geometry.height} panel")
    raw = _pillow_raw_mode(geometry)
    if raw is not None and geometry.line_length == geometry.width * 4:
        # Pillow packs the common 32-bit layouts itself, 3-5x faster than the channel
        # arithmetic below: on a slow board the frame reaches the panel sooner after a tap.
        return image.convert("RGBA" if raw.endswith("A") else "RGB").tobytes("raw", raw)
    rgb = np.asarray(image.convert("RGB"), dtype=np.uint32)
    pixels = np.zeros((geometry.height, geometry.width), dtype=np.uint32)
    for index, field in enumerate((geometry.red, geometry.green, geometry.blue)):
        # Keep each channel's top bits: 8-bit red 0xF8..0xFF is RGB565 red 31.
        pixels |= (rgb[:, :, index] >> (8 - field.length)) << field.offset
    if geometry.transp.length:
        # Opaque, for the drivers that honour alpha in an ARGB layout.
        pixels |= np.uint32(((1 << geometry.transp.length) - 1) << geometry.transp.offset)
    # Pixels are in the CPU's byte order (the fbdev convention; little-endian on every Pi).
    native = pixels.astype(np.dtype(f"=u{geometry.bytes_per_pixel}"))
    row_bytes = geometry.width * geometry.bytes_per_pixel
    rows = np.zeros((geometry.height, geometry.line_length), dtype=np.uint8)
    rows[:, :row_bytes] = native.view(np.uint8).reshape(geometry.height, row_bytes)
    return rows.tobytes()[: geometry.visible_bytes]


def _pillow_raw_mode(geometry: FramebufferGeometry) -> str | None:
    """Pillow's raw mode for a 32-bit little-endian layout of 8-bit channels, if it has one
    (XRGB8888 is "BGRX" in memory); None for the others (RGB565 among them)."""
    channels = (geometry.red, geometry.green, geometry.blue)
    if geometry.bits_per_pixel != 32 or any(c.length != 8 for c in channels):
        return None
    offsets = (geometry.red.offset, geometry.green.offset, geometry.blue.offset)
    order = {(16, 8, 0): "BGR", (0, 8, 16): "RGB"}.get(offsets)
    transp = (geometry.transp.offset, geometry.transp.length)
    if order is None or transp not in ((0, 0), (24, 8)) or sys.byteorder != "little":
        return None
    return order + ("A" if transp == (24, 8) else "X")


def quiet_console(tty: Path | None, cursor_blink: Path | None) -> None:
    """Hide the console cursor and stop blanking; failures are warnings, not errors."""
    if tty is not None:
        try:
            # O_NOCTTY: a systemd service is a session leader, and opening a tty without it
            # would make the tty its controlling terminal. O_NONBLOCK: a console stopped by
            # XOFF must not hang the start.
            fd = os.open(tty, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
            try:
                os.write(fd, CONSOLE_QUIET)
            finally:
                os.close(fd)
        except OSError as exc:
            log.warning("cannot hide the console cursor on %s: %s", tty, exc)
    if cursor_blink is not None:
        try:
            cursor_blink.write_text("0")
        except OSError as exc:
            log.warning("cannot stop the console cursor blinking via %s: %s", cursor_blink, exc)


class FramebufferDisplay:
    """A Display on a framebuffer device, the picture turned for a panel mounted `rotation`
    degrees clockwise; `width` and `height` are the turned size, the one the UI draws at."""

    def __init__(
        self,
        device: str | Path,
        rotation: int,
        tty: Path | None,
        cursor_blink: Path | None,
        geometry: FramebufferGeometry | None = None,
    ) -> None:
        """Open `device`; the geometry is read from it unless given (a test's regular file
        standing in for /dev/fb0 has none). `tty` and `cursor_blink` (FBCON_CURSOR_BLINK on a
        Pi) are the console to quiet, None to leave it. Raises OSError if the device is
        missing, FramebufferError if it is not a framebuffer the terminal can drive."""
        self._fd = os.open(device, os.O_RDWR)
        try:
            self.geometry = geometry if geometry is not None else read_geometry(self._fd)
            self.geometry.check()
            self.width, self.height = logical_size(
                rotation, self.geometry.width, self.geometry.height
            )
        except BaseException:
            os.close(self._fd)
            raise
        self.device = Path(device)
        self.rotation = rotation
        quiet_console(tty, cursor_blink)

    def show(self, frame: Frame) -> None:
        """Write the whole frame at once; raises ValueError if it is not the screen's size."""
        if frame.image.size != (self.width, self.height):
            raise ValueError(
                f"frame {frame.name!r} is {frame.image.width}x{frame.image.height}, "
                f"the screen is {self.width}x{self.height}"
            )
        data = pack(to_panel(frame.image, self.rotation), self.geometry)
        written = os.pwrite(self._fd, data, self.geometry.start)
        if written != len(data):
            raise OSError(f"{self.device}: wrote {written} of {len(data)} bytes of a frame")

    def close(self) -> None:
        """Close the device; the panel keeps showing the last frame."""
        os.close(self._fd)

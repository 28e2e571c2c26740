"""Framebuffer geometries as the kernel reports them on the boards the terminal runs on."""

from __future__ import annotations

from terminal.hal.framebuffer import Bitfield, FramebufferGeometry


def rgb565(width: int, height: int, line_length: int | None = None) -> FramebufferGeometry:
    """What the Pi 0-4's vc4 KMS driver reports (16 bpp, red on top)."""
    stride = line_length or width * 2
    return FramebufferGeometry(
        name="vc4drmfb",
        width=width,
        height=height,
        bits_per_pixel=16,
        line_length=stride,
        red=Bitfield(11, 5),
        green=Bitfield(5, 6),
        blue=Bitfield(0, 5),
        transp=Bitfield(0, 0),
        xoffset=0,
        yoffset=0,
        memory_size=stride * height,
    )


def xrgb8888(width: int, height: int, yoffset: int = 0) -> FramebufferGeometry:
    """What QEMU's virtio-gpu and the Pi 5 report (32 bpp, the top byte unused)."""
    return FramebufferGeometry(
        name="virtio_gpudrmfb",
        width=width,
        height=height,
        bits_per_pixel=32,
        line_length=width * 4,
        red=Bitfield(16, 8),
        green=Bitfield(8, 8),
        blue=Bitfield(0, 8),
        transp=Bitfield(0, 0),
        xoffset=0,
        yoffset=yoffset,
        memory_size=width * 4 * height * (2 if yoffset else 1),
    )

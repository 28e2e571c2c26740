"""The device factory: opens the drivers a board config names (terminal/hal/board_config.py).

The real drivers are imported only when used: each module costs start-up time on a Pi,
~35x more under QEMU, and the simulated board needs none of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from terminal.hal.board_config import (
    AudioConfig,
    AudioDriver,
    BoardConfig,
    BoardConfigError,
    DeviceKeyConfig,
    DeviceKeyKind,
    DisplayDriver,
    EnclosureConfig,
    EnclosureDriver,
    GpioConfig,
    GpioDriver,
    KeypadConfig,
    KeypadDriver,
    PrinterDriver,
    ScannerDriver,
    TouchDriver,
)
from terminal.hal.clock import Clock, SystemClock
from terminal.hal.device_key import DeviceKeySource, DiskDeviceKey, KeyFileDeviceKey, OtpDeviceKey
from terminal.hal.enclosure import Enclosure, NoEnclosure
from terminal.hal.gpio import Gpio, NoGpio
from terminal.hal.interfaces import (
    Audio,
    Display,
    Keypad,
    NoAudio,
    NoKeypad,
    Printer,
    Scanner,
    Touch,
)
from terminal.hal.serial_scanner import SerialScanner
from terminal.hal.socket_panel import SocketDisplay, SocketKeypad, SocketTouch
from terminal.invariants import InvariantError


@dataclass(frozen=True)
class Devices:
    display: Display
    touch: Touch
    scanner: Scanner
    printer: Printer
    clock: Clock
    gpio: Gpio = field(default_factory=NoGpio)
    keypad: Keypad = field(default_factory=NoKeypad)
    audio: Audio = field(default_factory=NoAudio)


def open_devices(config: BoardConfig) -> Devices:
    """Open the drivers the config names. Raises the driver's own error if a device is not
    there (OSError: PanelConnectionError, serial.SerialException, InputDeviceNotFound...),
    FramebufferError for a framebuffer it cannot drive, and BoardConfigError if the
    framebuffer is not the size the config says."""
    return Devices(
        display=_open_display(config),
        touch=_open_touch(config),
        scanner=_open_scanner(config),
        printer=_open_printer(config),
        clock=SystemClock(config.clock.source.value),
        gpio=_open_gpio(config.gpio),
        keypad=open_keypad(config.keypad),
        audio=open_audio(config.audio),
    )


def open_device_key(config: DeviceKeyConfig) -> DeviceKeySource:
    """The board's device key source, as its config names it (nothing is read yet)."""
    if config.source is DeviceKeyKind.OTP:
        return OtpDeviceKey(config.path)
    if config.source is DeviceKeyKind.FILE:
        return KeyFileDeviceKey(config.path)
    return DiskDeviceKey(config.path)


def open_keypad(config: KeypadConfig) -> Keypad:
    """The board's tactile keypad, as its config names it. Raises OSError (PanelConnectionError,
    InputDeviceNotFound) if it is not there."""
    if config.driver in (KeypadDriver.NONE, KeypadDriver.ENCLOSURE):
        # The enclosure's keys come with its controller, opened after the event log
        # (board_keypad).
        return NoKeypad()
    if config.driver is KeypadDriver.SOCKET:
        if config.path is None:
            raise InvariantError("invariant broken: config.path is not None")
        return SocketKeypad(config.path)
    from terminal.hal.evdev_keypad import EvdevKeypad

    return EvdevKeypad(config.path, config.name)


def open_audio(config: AudioConfig) -> Audio:
    """The booth's headphones, as the board config names them. Raises OSError
    (AudioDeviceError: aplay missing; PanelConnectionError: no simulator listening)."""
    if config.driver is AudioDriver.NONE:
        return NoAudio()
    if config.driver is AudioDriver.SOCKET:
        from terminal.hal.socket_audio import SocketAudio

        if config.path is None:
            raise InvariantError("invariant broken: config.path is not None")
        return SocketAudio(config.path)
    from terminal.hal.alsa_audio import AlsaAudio

    if config.device is None:
        raise InvariantError("invariant broken: config.device is not None")
    return AlsaAudio(config.device)


def _open_gpio(config: GpioConfig) -> Gpio:
    if config.driver is GpioDriver.NONE:
        return NoGpio()
    from terminal.hal.gpio import ChardevGpio

    if config.chip is None:
        raise InvariantError("invariant broken: config.chip is not None")
    return ChardevGpio(config.chip, config.seal_line, config.seal_active_low, config.led_line)


def _open_display(config: BoardConfig) -> Display:
    display = config.display
    if display.driver is DisplayDriver.SOCKET:
        return SocketDisplay(display.path, display.width, display.height)
    from terminal.hal import framebuffer as fb

    framebuffer = fb.FramebufferDisplay(
        display.path, display.rotation, display.tty, fb.FBCON_CURSOR_BLINK
    )
    # The size is the kernel's (the panel, or the HDMI mode chosen at boot); the config
    # states what the screens were laid out and checked for, so a mismatch stops the start.
    if (framebuffer.width, framebuffer.height) != (display.width, display.height):
        framebuffer.close()
        raise BoardConfigError(
            config.source,
            "display.width",
            f"{display.path} shows {framebuffer.width}x{framebuffer.height} at rotation "
            f"{display.rotation}, not {display.width}x{display.height}",
        )
    return framebuffer


def _open_touch(config: BoardConfig) -> Touch:
    touch = config.touch
    if touch.driver is TouchDriver.SOCKET:
        if touch.path is None:
            raise InvariantError("invariant broken: touch.path is not None")
        return SocketTouch(touch.path)
    from terminal.hal.evdev_touch import EvdevTouch

    # The touch controller reports in the panel's native orientation: its size is the
    # screen's turned back (the simulated panel's rotation is always 0).
    display = config.display
    turned = display.rotation in (90, 270)
    width, height = (display.height, display.width) if turned else (display.width, display.height)
    return EvdevTouch(
        touch.path, touch.calibration, width, height, display.rotation, name=touch.name
    )


def _open_scanner(config: BoardConfig) -> Scanner:
    scanner = config.scanner
    if scanner.driver is ScannerDriver.SERIAL:
        if scanner.path is None:
            raise InvariantError("invariant broken: scanner.path is not None")
        return SerialScanner(
            str(scanner.path), scanner.baudrate, scanner.suffix, scanner.aim_prefix
        )
    from terminal.hal.evdev_scanner import EvdevScanner

    return EvdevScanner(scanner.layout, scanner.path, scanner.name, scanner.aim_prefix)


def _open_printer(config: BoardConfig) -> Printer:
    printer = config.printer
    if printer.driver is PrinterDriver.SERIAL:
        from terminal.hal.serial_printer import SerialPrinter

        return SerialPrinter(str(printer.path), width=printer.width_dots, baudrate=printer.baudrate)
    from terminal.hal.serial_printer import UsbLpPrinter

    return UsbLpPrinter(str(printer.path), width=printer.width_dots)


def board_keypad(config: KeypadConfig, opened: Keypad, enclosure: Enclosure) -> Keypad:
    """The keypad the station reads: the one opened with the devices, or the enclosure
    controller's keys when the board config says so."""
    if config.driver is KeypadDriver.ENCLOSURE:
        from terminal.hal.enclosure import EnclosureKeypad

        return EnclosureKeypad(enclosure)
    return opened


def open_enclosure(config: EnclosureConfig, logged: int, pairing_key: bytes) -> Enclosure:
    """The enclosure controller's driver; `logged` is its last event number in the event
    log. Raises OSError (serial.SerialException) for the port."""
    if config.driver is EnclosureDriver.NONE:
        return NoEnclosure()
    from terminal.hal.enclosure import SerialEnclosure

    if config.port is None:
        raise InvariantError("invariant broken: config.port is not None")
    return SerialEnclosure.open(str(config.port), config.baudrate, pairing_key, logged)

"""Board configuration: which drivers a terminal runs and where its devices and files are.

One TOML file per board (board_configs/*.toml), read once at start and checked whole: a
missing, misspelt or out-of-range key is an error naming the file and the key, because a
typo that silently falls back to a default would surface only on election day.

This module is data only: it opens no device and imports no driver (the drivers import
their settings from here), as gpiozero keeps pin factories apart from devices; the
factory that opens what a config names is terminal/hal/devices.py.

Relative paths are relative to the terminal process's current directory, not to the file:
the simulator starts each terminal with its run directory as the current directory, so that
one board file serves every run, and the short relative socket paths stay within the
108-byte limit of a Unix socket address however deep the run directory is.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from pathlib import Path
from typing import TypeVar

from terminal.hal.device_key import OTP_TOOL
from terminal.hal.rotation import ROTATIONS

E = TypeVar("E", bound=Enum)


# The simulated panel's wire format carries at most this many pixels a side.
MAX_SCREEN_SIDE = 4096
# Debian's fonts-dejavu-core: covers Kyrgyz and Kazakh Cyrillic.
DEFAULT_REGULAR_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DEFAULT_BOLD_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
# The console a kiosk's framebuffer shares (the systemd unit takes tty1 from getty).
DEFAULT_CONSOLE = Path("/dev/tty1")
# A touch device found by its capabilities rather than named by its path.
AUTO = "auto"
# What scanners and thermal printers ship set to.
DEFAULT_BAUDRATE = 9600
# The controller's UART (firmware/enclosure/board.py).
DEFAULT_ENCLOSURE_BAUDRATE = 115200
_BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)


WORKER_LANGUAGES = ("ky", "ru", "kk", "en")


class Suffix(Enum):
    """What the scanner sends after each scan (set in the scanner's own configuration)."""

    CR = "CR"
    LF = "LF"
    CRLF = "CRLF"

    @property
    def separator(self) -> bytes:
        """The bytes on the wire."""
        return {Suffix.CR: b"\r", Suffix.LF: b"\n", Suffix.CRLF: b"\r\n"}[self]


class BoardConfigError(ValueError):
    """The board file is missing, unreadable or invalid; the message names the file and key."""

    def __init__(self, source: Path, key: str, problem: str) -> None:
        """`key` is dotted ("display.width"), or empty for the whole file."""
        where = f"{source}: {key}" if key else str(source)
        super().__init__(f"{where}: {problem}")
        self.source = source
        self.key = key


class Role(StrEnum):
    IDENTIFY = "identify"
    VOTE = "vote"
    COMBINED = "combined"


class DisplayDriver(StrEnum):
    FRAMEBUFFER = "framebuffer"
    SOCKET = "socket"


class TouchDriver(StrEnum):
    EVDEV = "evdev"
    SOCKET = "socket"


class ScannerDriver(StrEnum):
    SERIAL = "serial"
    EVDEV = "evdev"


class KeyboardLayout(StrEnum):
    """The keyboard layout a keyboard-wedge scanner types in (set in the scanner)."""

    US = "us"
    RU = "ru"  # ЙЦУКЕН


class PrinterDriver(StrEnum):
    SERIAL = "serial"
    USBLP = "usblp"


class KeypadDriver(StrEnum):
    NONE = "none"  # no tactile keypad
    EVDEV = "evdev"  # a USB keypad, or buttons on GPIO lines through gpio-keys
    SOCKET = "socket"  # the simulated panel's keypad
    ENCLOSURE = "enclosure"  # the enclosure controller's keys (its [enclosure] section)


class AudioDriver(StrEnum):
    NONE = "none"  # no headphones: no audio ballot
    ALSA = "alsa"  # an ALSA device through aplay (USB audio on the Pi 5 and Zero 2 W)
    SOCKET = "socket"  # the simulator's audio device (sim/audio.py)


class GpioDriver(StrEnum):
    NONE = "none"  # no seal switch, no status LED
    CHARDEV = "chardev"  # lines of a GPIO chip through the kernel's character device


class DeviceKeyKind(StrEnum):
    """Where the board keeps the key the card's secrets are sealed under (hal/device_key.py)."""

    OTP = "otp"  # the Pi 4/400/CM4/5's OTP private key, through rpi-otp-private-key
    FILE = "file"  # 32 raw bytes in a file on another medium than the data card
    DISK = "disk"  # the first 32 bytes of a disk of its own (QEMU's second disk)


class EnclosureDriver(StrEnum):
    NONE = "none"  # no enclosure controller
    SERIAL = "serial"  # an RP2040 controller on a UART (firmware/enclosure/)


class SealAuthority(StrEnum):
    """Whose seal switch is the seal, where the board has both."""

    ENCLOSURE = "enclosure"  # the controller's (it watches while the Pi is off too)
    GPIO = "gpio"  # the Pi's own [gpio] seal_line


class ClockSource(StrEnum):
    """What set the wall clock; recorded with every event."""

    RTC = "rtc"
    NTP = "ntp"
    MANUAL = "manual"
    SYSTEM = "system"


@dataclass(frozen=True)
class TerminalConfig:
    role: Role
    language: str  # of the poll worker's screens and the reports; voters choose their own


@dataclass(frozen=True)
class DisplayConfig:
    driver: DisplayDriver
    path: Path  # the framebuffer device, or the simulated panel's socket
    width: int
    height: int
    # The active area's size as drawn (width x height, after rotation), from the panel's
    # data sheet: the screens keep tap targets and text at a physical size with it.
    width_mm: float
    height_mm: float
    rotation: int  # degrees clockwise the panel is mounted; 0 for the simulated panel
    tty: Path | None  # the console sharing the framebuffer, kept quiet; None for the socket


@dataclass(frozen=True)
class TouchCalibration:
    """Raw evdev axis ranges (None: as the device reports them) and the axes' orientation."""

    min_x: int | None = None
    max_x: int | None = None
    min_y: int | None = None
    max_y: int | None = None
    swap_xy: bool = False
    invert_x: bool = False
    invert_y: bool = False


@dataclass(frozen=True)
class TouchConfig:
    driver: TouchDriver
    path: Path | None  # the evdev device, the simulated panel's socket; None: "auto"
    calibration: TouchCalibration
    name: str | None = None  # with "auto": a pattern the device's name must match


@dataclass(frozen=True)
class ScannerConfig:
    driver: ScannerDriver
    path: Path | None  # the serial port, or a keyboard-wedge scanner's evdev device
    baudrate: int  # serial driver only
    suffix: Suffix  # a keyboard-wedge scanner's Enter key counts as CR
    aim_prefix: bool
    name: str | None = None  # evdev: a pattern of the device's name, instead of its path
    layout: KeyboardLayout = KeyboardLayout.US  # evdev only


@dataclass(frozen=True)
class KeypadConfig:
    driver: KeypadDriver
    path: Path | None = None  # the evdev device or the simulated panel's socket; None: auto
    name: str | None = None  # evdev with device = "auto": a pattern the name must match


@dataclass(frozen=True)
class AudioConfig:
    driver: AudioDriver
    device: str | None = None  # alsa: the ALSA device aplay -D plays on ("plughw:CARD=Device")
    path: Path | None = None  # socket: the simulator's audio socket


@dataclass(frozen=True)
class PrinterConfig:
    driver: PrinterDriver
    path: Path  # the serial port, or the USB printer-class device (/dev/usb/lp0)
    baudrate: int  # serial driver only
    width_dots: int


@dataclass(frozen=True)
class StorageConfig:
    data: Path
    mirror: Path | None  # a second card every write is copied to
    export: Path  # where results bundles are written


@dataclass(frozen=True)
class GpioConfig:
    driver: GpioDriver
    chip: str | None = None  # the chip's label, e.g. "pinctrl-rp1" (gpiodetect lists them)
    seal_line: int | None = None  # the enclosure's seal switch, to ground when closed...
    seal_active_low: bool = True  # ...so a low line reads as a closed switch: seal intact
    led_line: int | None = None  # the status LED, lit while the polls are open


@dataclass(frozen=True)
class DeviceKeyConfig:
    source: DeviceKeyKind
    path: Path  # the tool (otp), the key file (file) or the block device (disk)


@dataclass(frozen=True)
class EnclosureConfig:
    driver: EnclosureDriver
    port: Path | None = None  # the UART: /dev/serial0 is the header's GPIO14/15
    baudrate: int = DEFAULT_ENCLOSURE_BAUDRATE
    pairing_key: Path | None = None  # sealed (python -m terminal provision-enclosure)
    seal: SealAuthority = SealAuthority.ENCLOSURE


@dataclass(frozen=True)
class ClockConfig:
    source: ClockSource


@dataclass(frozen=True)
class FontsConfig:
    regular: Path
    bold: Path


@dataclass(frozen=True)
class BoardConfig:
    source: Path  # the file it was read from, for messages
    terminal: TerminalConfig
    display: DisplayConfig
    touch: TouchConfig
    scanner: ScannerConfig
    printer: PrinterConfig
    storage: StorageConfig
    clock: ClockConfig
    fonts: FontsConfig
    gpio: GpioConfig
    device_key: DeviceKeyConfig
    enclosure: EnclosureConfig = EnclosureConfig(EnclosureDriver.NONE)
    keypad: KeypadConfig = KeypadConfig(KeypadDriver.NONE)
    audio: AudioConfig = AudioConfig(AudioDriver.NONE)


def load_board(path: Path) -> BoardConfig:
    """Read and check a board file; raises BoardConfigError."""
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except OSError as exc:
        raise BoardConfigError(path, "", f"cannot read: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BoardConfigError(path, "", f"not valid TOML: {exc}") from exc
    return parse_board_config(data, path)


def parse_board_config(data: Mapping[str, object], source: Path) -> BoardConfig:
    """Check parsed TOML; `source` names it in errors. Raises BoardConfigError."""
    required = (
        "terminal", "display", "touch", "scanner", "printer", "storage", "clock", "device_key"
    )  # fmt: skip
    unknown = sorted(set(data) - {*required, "fonts", "gpio", "enclosure", "keypad", "audio"})
    if unknown:
        raise BoardConfigError(source, unknown[0], "unknown section")
    for name in required:
        if name not in data:
            raise BoardConfigError(source, name, "missing section")
    storage = _storage(_Section(source, "storage", data["storage"]))
    enclosure = _enclosure(
        _Section(source, "enclosure", data.get("enclosure", {})),
        _Section(source, "gpio", data.get("gpio", {})).has("seal_line"),
    )
    keypad = _keypad(_Section(source, "keypad", data.get("keypad", {})))
    if keypad.driver is KeypadDriver.ENCLOSURE and enclosure.driver is EnclosureDriver.NONE:
        raise BoardConfigError(source, "keypad.driver", "enclosure: the board has no [enclosure]")
    return BoardConfig(
        source=source,
        terminal=_terminal(_Section(source, "terminal", data["terminal"])),
        display=_display(_Section(source, "display", data["display"])),
        touch=_touch(_Section(source, "touch", data["touch"])),
        scanner=_scanner(_Section(source, "scanner", data["scanner"])),
        printer=_printer(_Section(source, "printer", data["printer"])),
        storage=storage,
        clock=_clock(_Section(source, "clock", data["clock"])),
        fonts=_fonts(_Section(source, "fonts", data.get("fonts", {}))),
        gpio=_gpio(_Section(source, "gpio", data.get("gpio", {}))),
        device_key=_device_key(_Section(source, "device_key", data["device_key"]), storage),
        enclosure=enclosure,
        keypad=keypad,
        audio=_audio(_Section(source, "audio", data.get("audio", {}))),
    )


class _Section:
    """One table of the file: typed reads whose errors name the key, and a final check
    that no key was left unread (a misspelt key is an error, not a silent default)."""

    def __init__(self, source: Path, name: str, table: object) -> None:
        if not isinstance(table, dict):
            raise BoardConfigError(source, name, "must be a table")
        self._source = source
        self._name = name
        self._table: dict[str, object] = table
        self._read: set[str] = set()

    def error(self, key: str, problem: str) -> BoardConfigError:
        return BoardConfigError(self._source, f"{self._name}.{key}", problem)

    def _take(self, key: str) -> object:
        self._read.add(key)
        return self._table.get(key)

    def has(self, key: str) -> bool:
        return key in self._table

    def string(self, key: str, default: str | None = None) -> str:
        value = self._take(key)
        if value is None and default is not None:
            return default
        if value is None:
            raise self.error(key, "missing")
        if not isinstance(value, str) or not value:
            raise self.error(key, f"must be a non-empty string, not {value!r}")
        return value

    def choice(self, key: str, kind: type[E], default: E | None = None) -> E:
        value = self.string(key, None if default is None else str(default.value))
        for member in kind:
            if member.value == value:
                return member
        allowed = ", ".join(repr(member.value) for member in kind)
        raise self.error(key, f"must be one of {allowed}, not {value!r}")

    def integer(
        self, key: str, allowed: range | tuple[int, ...], default: int | None = None
    ) -> int:
        value = self._take(key)
        if value is None and default is not None:
            return default
        if value is None:
            raise self.error(key, "missing")
        # bool is an int in Python; `width = true` is still a mistake.
        if type(value) is not int or value not in allowed:
            if isinstance(allowed, range):
                expected = f"a whole number from {allowed.start} to {allowed.stop - 1}"
            else:
                expected = "one of " + ", ".join(map(str, allowed))
            raise self.error(key, f"must be {expected}, not {value!r}")
        return value

    def millimetres(self, key: str) -> float:
        """A panel's side: 10 mm to 1 m covers every display a terminal could have."""
        value = self._take(key)
        if value is None:
            raise self.error(key, "missing")
        if type(value) not in (int, float) or not 10 <= value <= 1000:  # type: ignore[operator]
            raise self.error(key, f"must be a length in mm from 10 to 1000, not {value!r}")
        return float(value)  # type: ignore[arg-type]

    def optional_string(self, key: str) -> str | None:
        return self.string(key) if self.has(key) else None

    def optional_integer(self, key: str, allowed: range) -> int | None:
        return self.integer(key, allowed) if self.has(key) else None

    def boolean(self, key: str, default: bool) -> bool:
        value = self._take(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, not {value!r}")
        return value

    def path(self, key: str, default: Path | None = None) -> Path:
        text = self.string(key, None if default is None else str(default))
        if "\0" in text:
            raise self.error(key, "must not contain a NUL character")
        return Path(text)

    def optional_path(self, key: str) -> Path | None:
        return self.path(key) if self.has(key) else None

    def finish(self, driver: Enum | None = None) -> None:
        unread = sorted(set(self._table) - self._read)
        if unread:
            context = f" with driver {driver.value!r}" if driver else ""
            raise self.error(unread[0], f"unknown key in [{self._name}]{context}")


# Wide enough for any axis a touch controller reports, narrow enough to catch typos.
_RAW_AXIS = range(-(2**31), 2**31)


def _terminal(section: _Section) -> TerminalConfig:
    language = section.string("language", "ru")
    if language not in WORKER_LANGUAGES:
        raise section.error("language", f"must be one of {', '.join(WORKER_LANGUAGES)}")
    config = TerminalConfig(role=section.choice("role", Role), language=language)
    section.finish()
    return config


def _display(section: _Section) -> DisplayConfig:
    driver = section.choice("driver", DisplayDriver)
    socket = driver is DisplayDriver.SOCKET
    config = DisplayConfig(
        driver=driver,
        path=section.path("socket" if socket else "device"),
        width=section.integer("width", range(1, MAX_SCREEN_SIDE + 1)),
        height=section.integer("height", range(1, MAX_SCREEN_SIDE + 1)),
        width_mm=section.millimetres("width_mm"),
        height_mm=section.millimetres("height_mm"),
        # The simulated panel shows the picture as drawn: it has no mounting to undo.
        rotation=0 if socket else section.integer("rotation", ROTATIONS, default=0),
        tty=None if socket else section.path("tty", DEFAULT_CONSOLE),
    )
    section.finish(driver)
    return config


def _touch(section: _Section) -> TouchConfig:
    driver = section.choice("driver", TouchDriver)
    if driver is TouchDriver.SOCKET:
        # The simulated panel sends screen coordinates, so calibration keys are unknown here.
        config = TouchConfig(driver, section.path("socket"), TouchCalibration())
    else:
        # "auto": the one device that reports touches, found by its capabilities, since the
        # event number and even the name differ between boards and kernels.
        auto = section.string("device") == AUTO
        name = section.optional_string("name")
        if name is not None and not auto:
            raise section.error("name", f'only with device = "{AUTO}"')
        path = None if auto else section.path("device")
        config = TouchConfig(driver, path, _calibration(section), name)
    section.finish(driver)
    return config


def _calibration(section: _Section) -> TouchCalibration:
    calibration = TouchCalibration(
        min_x=section.optional_integer("min_x", _RAW_AXIS),
        max_x=section.optional_integer("max_x", _RAW_AXIS),
        min_y=section.optional_integer("min_y", _RAW_AXIS),
        max_y=section.optional_integer("max_y", _RAW_AXIS),
        swap_xy=section.boolean("swap_xy", False),
        invert_x=section.boolean("invert_x", False),
        invert_y=section.boolean("invert_y", False),
    )
    for axis, low, high in (
        ("x", calibration.min_x, calibration.max_x),
        ("y", calibration.min_y, calibration.max_y),
    ):
        if (low is None) != (high is None):
            key = f"min_{axis}" if low is None else f"max_{axis}"
            raise section.error(key, f"missing: give both min_{axis} and max_{axis}, or neither")
        if low is not None and high is not None and low >= high:
            raise section.error(f"max_{axis}", f"must be greater than min_{axis} ({low})")
    return calibration


def _scanner(section: _Section) -> ScannerConfig:
    driver = section.choice("driver", ScannerDriver)
    if driver is ScannerDriver.SERIAL:
        config = ScannerConfig(
            driver=driver,
            path=section.path("port"),
            baudrate=section.integer("baudrate", _BAUDRATES, default=DEFAULT_BAUDRATE),
            suffix=section.choice("suffix", Suffix),
            aim_prefix=section.boolean("aim_prefix", False),
        )
    else:
        path = section.optional_path("device")
        name = section.optional_string("name")
        if path is None and name is None:
            raise section.error("device", "missing: give device (a path) or name (a pattern)")
        if path is not None and name is not None:
            raise section.error("name", "give device or name, not both")
        config = ScannerConfig(
            driver=driver,
            path=path,
            baudrate=DEFAULT_BAUDRATE,
            suffix=Suffix.CR,
            aim_prefix=section.boolean("aim_prefix", False),
            name=name,
            layout=section.choice("layout", KeyboardLayout, default=KeyboardLayout.US),
        )
    section.finish(driver)
    return config


def _keypad(section: _Section) -> KeypadConfig:
    driver = section.choice("driver", KeypadDriver, default=KeypadDriver.NONE)
    if driver is KeypadDriver.NONE:
        config = KeypadConfig(driver)
    elif driver is KeypadDriver.SOCKET:
        config = KeypadConfig(driver, section.path("socket"))
    elif driver is KeypadDriver.ENCLOSURE:
        config = KeypadConfig(driver)
    else:
        # "auto": the one device with all five keys; a name pattern narrows the search.
        auto = section.string("device") == AUTO
        name = section.optional_string("name")
        if name is not None and not auto:
            raise section.error("name", f'only with device = "{AUTO}"')
        config = KeypadConfig(driver, None if auto else section.path("device"), name)
    section.finish(driver)
    return config


def _audio(section: _Section) -> AudioConfig:
    driver = section.choice("driver", AudioDriver, default=AudioDriver.NONE)
    if driver is AudioDriver.NONE:
        config = AudioConfig(driver)
    elif driver is AudioDriver.SOCKET:
        config = AudioConfig(driver, path=section.path("socket"))
    else:
        device = section.string("device")
        # aplay takes the name as the argument of -D: a name starting with "-" would be
        # read as an option, and ALSA names are never empty nor hold spaces.
        if device.startswith("-") or not device.isprintable() or " " in device:
            raise section.error(
                "device",
                f'must be an ALSA device name such as "plughw:CARD=Device", not {device!r}',
            )
        config = AudioConfig(driver, device=device)
    section.finish(driver)
    return config


def _printer(section: _Section) -> PrinterConfig:
    driver = section.choice("driver", PrinterDriver)
    serial = driver is PrinterDriver.SERIAL
    config = PrinterConfig(
        driver=driver,
        path=section.path("port" if serial else "device"),
        baudrate=(
            section.integer("baudrate", _BAUDRATES, default=DEFAULT_BAUDRATE)
            if serial
            else DEFAULT_BAUDRATE
        ),
        # 58 mm and 80 mm paper at 203 dpi (8 dots per millimetre).
        width_dots=section.integer("width_dots", (384, 576)),
    )
    section.finish(driver)
    return config


def _storage(section: _Section) -> StorageConfig:
    config = StorageConfig(
        data=section.path("data"),
        mirror=section.optional_path("mirror"),
        export=section.path("export"),
    )
    if config.mirror is not None and config.mirror == config.data:
        raise section.error("mirror", "must be another directory than data")
    section.finish()
    return config


# Line offsets on a chip: the Pi's header GPIOs are 0-27 of its 54-58 lines. The driver checks
# the offset against the chip's own count when it opens it; this only catches typos.
_GPIO_LINE = range(0, 512)


def _gpio(section: _Section) -> GpioConfig:
    driver = section.choice("driver", GpioDriver, default=GpioDriver.NONE)
    if driver is GpioDriver.NONE:
        section.finish(driver)
        return GpioConfig(driver)
    config = GpioConfig(
        driver,
        chip=section.string("chip"),
        seal_line=section.optional_integer("seal_line", _GPIO_LINE),
        seal_active_low=section.boolean("seal_active_low", True),
        led_line=section.optional_integer("led_line", _GPIO_LINE),
    )
    if config.seal_line is None and config.led_line is None:
        raise section.error("seal_line", "missing: name seal_line, led_line or both")
    if config.seal_line is not None and config.seal_line == config.led_line:
        raise section.error("led_line", "must be another line than seal_line")
    section.finish(driver)
    return config


def _inside(path: Path, directory: Path) -> bool:
    """True when `path` lies in `directory`, compared as absolute, normalised paths."""
    absolute = Path(os.path.normpath(os.path.abspath(path)))
    return absolute.is_relative_to(os.path.normpath(os.path.abspath(directory)))


def _device_key(section: _Section, storage: StorageConfig) -> DeviceKeyConfig:
    source = section.choice("source", DeviceKeyKind)
    if source is DeviceKeyKind.OTP:
        config = DeviceKeyConfig(source, section.path("tool", OTP_TOOL))
    else:
        key = "path" if source is DeviceKeyKind.FILE else "device"
        config = DeviceKeyConfig(source, section.path(key))
        # The key sealing the card's secrets must not travel with the card.
        media = [("data", storage.data), ("export", storage.export)]
        if storage.mirror is not None:
            media.append(("mirror", storage.mirror))
        for name, directory in media:
            if _inside(config.path, directory):
                raise section.error(
                    key, f"must be on another medium than storage.{name} ({directory})"
                )
    section.finish(source)
    return config


def _enclosure(section: _Section, gpio_seal: bool) -> EnclosureConfig:
    driver = section.choice("driver", EnclosureDriver, default=EnclosureDriver.NONE)
    if driver is EnclosureDriver.NONE:
        section.finish(driver)
        return EnclosureConfig(driver)
    # With two seal switches, the file must say which one is the seal: a guess either way
    # would hide one of them on election day.
    if gpio_seal and not section.has("seal"):
        raise section.error(
            "seal", 'missing: [gpio] has a seal_line too; say "enclosure" or "gpio"'
        )
    config = EnclosureConfig(
        driver,
        port=section.path("port"),
        baudrate=section.integer("baudrate", _BAUDRATES, default=DEFAULT_ENCLOSURE_BAUDRATE),
        pairing_key=section.path("pairing_key"),
        seal=section.choice("seal", SealAuthority, default=SealAuthority.ENCLOSURE),
    )
    if config.seal is SealAuthority.GPIO and not gpio_seal:
        raise section.error("seal", 'is "gpio", but [gpio] has no seal_line')
    section.finish(driver)
    return config


def _clock(section: _Section) -> ClockConfig:
    config = ClockConfig(source=section.choice("source", ClockSource))
    section.finish()
    return config


def _fonts(section: _Section) -> FontsConfig:
    config = FontsConfig(
        regular=section.path("regular", DEFAULT_REGULAR_FONT),
        bold=section.path("bold", DEFAULT_BOLD_FONT),
    )
    section.finish()
    return config

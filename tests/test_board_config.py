"""Board files: the shipped ones load, every mistake is refused with the file and key named."""

from __future__ import annotations

import ast
import datetime as dt
import functools
import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.panel import SimulatedPanel
from terminal.hal.board_config import (
    DEFAULT_BOLD_FONT,
    DEFAULT_CONSOLE,
    DEFAULT_REGULAR_FONT,
    AudioConfig,
    AudioDriver,
    BoardConfig,
    BoardConfigError,
    ClockSource,
    DeviceKeyConfig,
    DeviceKeyKind,
    DisplayDriver,
    GpioDriver,
    KeyboardLayout,
    KeypadConfig,
    KeypadDriver,
    PrinterDriver,
    Role,
    ScannerDriver,
    Suffix,
    TouchCalibration,
    TouchDriver,
    load_board,
    parse_board_config,
)
from terminal.hal.device_key import OTP_TOOL, DiskDeviceKey, KeyFileDeviceKey, OtpDeviceKey
from terminal.hal.devices import open_device_key, open_devices
from terminal.hal.framebuffer import FramebufferError
from terminal.hal.interfaces import Key

SIM = Path(__file__).resolve().parent.parent / "board_configs" / "sim.toml"
SOURCE = Path("boards/test.toml")


@functools.cache
def _sim_text() -> str:
    return SIM.read_text(encoding="utf-8")


def sim_data() -> dict[str, Any]:
    """A fresh copy of sim.toml's tables, for a test to spoil."""
    return tomllib.loads(_sim_text())


def refused(data: dict[str, Any]) -> BoardConfigError:
    with pytest.raises(BoardConfigError) as caught:
        parse_board_config(data, SOURCE)
    assert str(caught.value).startswith(f"{SOURCE}: ")
    return caught.value


def test_the_simulator_board_loads() -> None:
    board = load_board(SIM)
    assert board.source == SIM
    assert board.terminal.role is Role.COMBINED
    assert board.display.driver is DisplayDriver.SOCKET
    assert (board.display.path, board.display.width, board.display.height) == (
        Path("dev/display.sock"),
        800,
        480,
    )
    assert board.display.rotation == 0
    assert board.touch.driver is TouchDriver.SOCKET
    assert board.touch.path == Path("dev/touch.sock")
    assert board.touch.calibration == TouchCalibration()
    assert board.scanner.driver is ScannerDriver.SERIAL
    assert (board.scanner.path, board.scanner.suffix) == (Path("dev/scanner"), Suffix.LF)
    assert (board.scanner.baudrate, board.scanner.aim_prefix) == (9600, False)
    assert board.printer.driver is PrinterDriver.SERIAL
    assert (board.printer.path, board.printer.width_dots) == (Path("dev/printer"), 384)
    assert (board.storage.data, board.storage.mirror) == (Path("data"), None)
    assert board.storage.export == Path("bundle")
    assert board.clock.source is ClockSource.SYSTEM
    assert (board.fonts.regular, board.fonts.bold) == (DEFAULT_REGULAR_FONT, DEFAULT_BOLD_FONT)
    assert (board.display.tty, board.gpio.driver) == (None, GpioDriver.NONE)
    assert board.device_key == DeviceKeyConfig(DeviceKeyKind.FILE, Path("device.key"))


def test_a_full_real_board_loads() -> None:
    data = {
        "terminal": {"role": "vote"},
        "display": {
            "driver": "framebuffer",
            "device": "/dev/fb0",
            "width": 800,
            "height": 480,
            "width_mm": 154.2,
            "height_mm": 85.9,
            "rotation": 180,
        },
        "touch": {
            "driver": "evdev",
            "device": "/dev/input/event0",
            "min_x": 0,
            "max_x": 4095,
            "min_y": 100,
            "max_y": 3900,
            "swap_xy": True,
            "invert_y": True,
        },
        "scanner": {
            "driver": "serial",
            "port": "/dev/ttyACM0",
            "baudrate": 115200,
            "suffix": "CRLF",
            "aim_prefix": True,
        },
        "printer": {"driver": "usblp", "device": "/dev/usb/lp0", "width_dots": 576},
        "storage": {"data": "/var/lib/tamga", "mirror": "/media/mirror", "export": "/media/usb"},
        "clock": {"source": "rtc"},
        "fonts": {"regular": "/opt/fonts/a.ttf", "bold": "/opt/fonts/b.ttf"},
        "device_key": {"source": "otp"},
    }
    board = parse_board_config(data, SOURCE)
    assert board.device_key == DeviceKeyConfig(DeviceKeyKind.OTP, OTP_TOOL)
    assert board.display.rotation == 180
    assert board.display.tty == DEFAULT_CONSOLE == Path("/dev/tty1")
    assert (board.touch.path, board.touch.name) == (Path("/dev/input/event0"), None)
    assert board.touch.calibration == TouchCalibration(0, 4095, 100, 3900, True, False, True)
    assert (board.scanner.baudrate, board.scanner.suffix) == (115200, Suffix.CRLF)
    assert board.storage.mirror == Path("/media/mirror")
    assert board.fonts.bold == Path("/opt/fonts/b.ttf")


@pytest.mark.parametrize(
    ("section", "key", "value", "problem"),
    [
        ("terminal", "role", "booth", "must be one of 'identify', 'vote', 'combined'"),
        ("terminal", "role", 1, "must be a non-empty string"),
        ("display", "driver", "hdmi", "must be one of 'framebuffer', 'socket'"),
        ("display", "width", 0, "from 1 to 4096"),
        ("display", "width", 4097, "from 1 to 4096"),
        ("display", "height", "480", "must be a whole number"),
        ("display", "height", 480.0, "must be a whole number"),
        ("display", "height", True, "must be a whole number"),
        ("display", "socket", "", "non-empty string"),
        ("display", "socket", "a\0b", "NUL"),
        ("touch", "socket", ["dev/touch.sock"], "non-empty string"),
        ("scanner", "suffix", "TAB", "must be one of 'CR', 'LF', 'CRLF'"),
        ("scanner", "baudrate", 9601, "must be one of 1200"),
        ("scanner", "aim_prefix", "yes", "must be true or false"),
        ("printer", "width_dots", 512, "must be one of 384, 576"),
        ("printer", "driver", "cups", "must be one of 'serial', 'usblp'"),
        ("storage", "mirror", "data", "another directory"),
        ("clock", "source", "gps", "must be one of 'rtc', 'ntp', 'manual', 'system'"),
        ("fonts", "regular", 12, "non-empty string"),
    ],
)
def test_a_bad_value_is_refused_naming_its_key(
    section: str, key: str, value: object, problem: str
) -> None:
    data = sim_data()
    data.setdefault(section, {})[key] = value
    error = refused(data)
    assert error.key == f"{section}.{key}"
    assert f"{section}.{key}: " in str(error)
    assert problem in str(error)


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ("terminal", "role"),
        ("display", "driver"),
        ("display", "socket"),
        ("display", "width"),
        ("touch", "socket"),
        ("scanner", "port"),
        ("scanner", "suffix"),
        ("printer", "width_dots"),
        ("storage", "data"),
        ("storage", "export"),
        ("clock", "source"),
    ],
)
def test_a_missing_key_is_refused(section: str, key: str) -> None:
    data = sim_data()
    del data[section][key]
    error = refused(data)
    assert (error.key, str(error).endswith("missing")) == (f"{section}.{key}", True)


@pytest.mark.parametrize(
    ("section", "key", "context"),
    [
        ("display", "widht", "[display] with driver 'socket'"),
        # Keys of other drivers: the framebuffer's device, a real panel's mounting and
        # calibration, a USB printer's device.
        ("display", "device", "[display] with driver 'socket'"),
        ("display", "rotation", "[display] with driver 'socket'"),
        ("touch", "min_x", "[touch] with driver 'socket'"),
        ("printer", "device", "[printer] with driver 'serial'"),
        ("storage", "backup", "[storage]"),
        ("terminal", "colour", "[terminal]"),
        ("fonts", "italic", "[fonts]"),
    ],
)
def test_an_unknown_key_is_refused(section: str, key: str, context: str) -> None:
    data = sim_data()
    data.setdefault(section, {})[key] = 90
    error = refused(data)
    assert error.key == f"{section}.{key}"
    assert str(error).endswith(f"{section}.{key}: unknown key in {context}")


def test_unknown_and_missing_sections_are_refused() -> None:
    data = sim_data()
    data["joystick"] = {"driver": "gpio"}
    assert refused(data).key == "joystick"
    data = sim_data()
    del data["clock"]
    assert (refused(data).key, "missing section" in str(refused(data))) == ("clock", True)
    data = sim_data()
    data["display"] = "socket"
    assert "must be a table" in str(refused(data))


@pytest.mark.parametrize(
    ("calibration", "key", "problem"),
    [
        ({"min_x": 0}, "touch.max_x", "give both min_x and max_x"),
        ({"max_y": 10}, "touch.min_y", "give both min_y and max_y"),
        ({"min_x": 10, "max_x": 10}, "touch.max_x", "greater than min_x"),
        ({"invert_x": 1}, "touch.invert_x", "true or false"),
    ],
)
def test_bad_touch_calibration_is_refused(
    calibration: dict[str, object], key: str, problem: str
) -> None:
    data = sim_data()
    data["touch"] = {"driver": "evdev", "device": "/dev/input/event1", **calibration}
    error = refused(data)
    assert error.key == key
    assert problem in str(error)


def test_unreadable_and_invalid_files_are_named(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    with pytest.raises(BoardConfigError, match=r"missing\.toml: cannot read"):
        load_board(missing)
    broken = tmp_path / "broken.toml"
    broken.write_bytes(b"[display\nwidth = 800\n")
    with pytest.raises(BoardConfigError, match=r"broken\.toml: not valid TOML"):
        load_board(broken)
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b'[terminal]\nrole = "\xe9"\n')
    with pytest.raises(BoardConfigError, match=r"latin\.toml: not valid TOML"):
        load_board(latin)


@pytest.mark.parametrize(
    ("section", "replacement", "error"),
    [
        ("display", {"driver": "framebuffer", "device": "dev/fb0", "width": 8, "height": 8,
                     "width_mm": 20, "height_mm": 20},
         FileNotFoundError),
        # A device that is no framebuffer (here a regular file) is refused at its ioctls.
        ("display", {"driver": "framebuffer", "device": "plain", "width": 8, "height": 8,
                     "width_mm": 20, "height_mm": 20},
         FramebufferError),
        ("touch", {"driver": "evdev", "device": "dev/input/event0"}, FileNotFoundError),
        ("scanner", {"driver": "evdev", "device": "dev/input/event1"}, FileNotFoundError),
        ("printer", {"driver": "usblp", "device": "dev/usb/lp0", "width_dots": 384},
         FileNotFoundError),
    ],
)  # fmt: skip
def test_a_real_device_that_is_not_there_is_the_drivers_error(
    section: str,
    replacement: dict[str, object],
    error: type[Exception],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = sim_data()
    data[section] = replacement
    board = parse_board_config(data, SOURCE)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "plain").write_bytes(bytes(256))
    ptys = _sim_serial_ports(tmp_path)
    # The devices opened before the missing one are the simulator's.
    with SimulatedPanel(tmp_path / "dev"), pytest.raises(error):
        open_devices(board)
    for master in ptys:
        os.close(master)


def _sim_serial_ports(run: Path) -> list[int]:
    """dev/scanner and dev/printer as pseudo-terminals; returns the masters to close."""
    ptys = []
    (run / "dev").mkdir(exist_ok=True)
    for name in ("scanner", "printer"):
        master, slave = os.openpty()
        ptys.append(master)
        (run / "dev" / name).symlink_to(os.ttyname(slave))
        os.close(slave)
    return ptys


def test_the_simulator_board_opens_its_devices_relative_to_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ptys = _sim_serial_ports(tmp_path)
    monkeypatch.chdir(tmp_path)
    with SimulatedPanel(tmp_path / "dev") as panel:
        devices = open_devices(load_board(SIM))
        assert (devices.display.width, devices.display.height) == (800, 480)
        assert devices.printer.width == 384
        assert devices.clock.source == "system"
        assert devices.scanner.read() == []
        assert devices.touch.read() == []
        assert devices.keypad.read() == []
        panel.tap(5, 5)
        panel.press_key(Key.HELP)
        deadline = time.monotonic() + 2
        while not (pressed := devices.keypad.read()) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert pressed == [Key.HELP]
    for master in ptys:
        os.close(master)


# Values of every type TOML can hold, nested a little.
_SCALARS = (
    st.integers(-(2**63), 2**63 - 1)
    | st.booleans()
    | st.floats(allow_nan=True)
    | st.text(max_size=12)
    | st.sampled_from(["socket", "serial", "CR", "vote", "/dev/fb0", "", "\0", "evdev"])
    | st.sampled_from([384, 576, 800, 9600, 0, 90])
    | st.dates()
    | st.datetimes()
    | st.times()
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)
_KEYS = st.sampled_from(
    ["driver", "socket", "device", "port", "width", "height", "rotation", "role", "suffix",
     "baudrate", "aim_prefix", "width_dots", "data", "export", "mirror", "source", "min_x",
     "max_x", "swap_xy", "regular", "bold"]
) | st.text(max_size=8)  # fmt: skip
_SECTIONS = st.sampled_from(
    ["terminal", "display", "touch", "scanner", "printer", "storage", "clock", "fonts"]
)


@settings(max_examples=200, deadline=None)
@given(
    edits=st.lists(st.tuples(_SECTIONS, _KEYS, _VALUES | st.none()), max_size=4),
    whole=st.dictionaries(_SECTIONS | st.text(max_size=6), _VALUES, max_size=8),
    use_whole=st.booleans(),
)
def test_any_toml_like_input_gives_a_config_or_a_config_error(
    edits: list[tuple[str, str, Any]], whole: dict[str, Any], use_whole: bool
) -> None:
    data: dict[str, Any] = whole if use_whole else sim_data()
    for section, key, value in edits:
        table = data.setdefault(section, {})
        if not isinstance(table, dict):
            continue
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value
    try:
        board = parse_board_config(data, SOURCE)
    except BoardConfigError as error:
        assert str(error).startswith(f"{SOURCE}")
    else:
        assert isinstance(board, BoardConfig)
        assert 1 <= board.display.width <= 4096


def test_a_date_where_a_number_belongs_is_refused() -> None:
    # TOML has date types, so a board file can hold them; they are refused, not a crash.
    data = sim_data()
    data["display"]["width"] = dt.date(2024, 1, 1)
    assert refused(data).key == "display.width"


def test_the_poll_worker_language_must_have_a_catalog(tmp_path: Path) -> None:
    text = SIM.read_text().replace('language = "en"', 'language = "fr"')
    text = text.replace('language = "ru"', 'language = "fr"')
    path = tmp_path / "board.toml"
    path.write_text(text)
    with pytest.raises(BoardConfigError, match=r"terminal\.language"):
        load_board(path)


BOARDS = sorted(SIM.parent.glob("*.toml"))


@pytest.mark.parametrize("path", BOARDS, ids=[p.name for p in BOARDS])
def test_every_shipped_board_loads(path: Path) -> None:
    board = load_board(path)
    assert board.source == path
    if board.display.driver is DisplayDriver.FRAMEBUFFER:
        assert board.display.path.is_absolute() and board.storage.data.is_absolute()


def test_the_real_boards_say_what_their_hardware_is() -> None:
    boards = {p.stem: load_board(p) for p in BOARDS}
    assert {"rpi4-official-7in", "rpi5-touch-display-2", "rpi3b-hdmi-usbtouch",
            "rpi-zero2w-spi-display", "qemu-virt"} <= boards.keys()  # fmt: skip
    pi4 = boards["rpi4-official-7in"]
    assert (pi4.display.width, pi4.display.height, pi4.display.rotation) == (800, 480, 0)
    assert (pi4.touch.path, pi4.touch.name) == (None, "*ft5x06*")
    assert (pi4.scanner.path, pi4.printer.driver) == (Path("/dev/ttyACM0"), PrinterDriver.USBLP)
    assert (pi4.printer.path, pi4.printer.width_dots) == (Path("/dev/usb/lp0"), 384)
    # Touch Display 2 is a 720x1280 portrait panel: turned a quarter, the UI is landscape.
    pi5 = boards["rpi5-touch-display-2"]
    assert (pi5.display.width, pi5.display.height, pi5.display.rotation) == (1280, 720, 90)
    assert pi5.touch.name == "*Goodix*"
    pi3 = boards["rpi3b-hdmi-usbtouch"]
    assert (pi3.scanner.driver, pi3.scanner.layout) == (ScannerDriver.EVDEV, KeyboardLayout.US)
    assert (pi3.printer.path, pi3.printer.width_dots) == (Path("/dev/ttyUSB0"), 576)
    qemu = boards["qemu-virt"]
    assert (qemu.display.path, qemu.display.width, qemu.display.height) == (
        Path("/dev/fb0"), 800, 480,
    )  # fmt: skip
    assert (qemu.touch.driver, qemu.touch.path, qemu.touch.name) == (TouchDriver.EVDEV, None, None)
    assert (qemu.scanner.path, qemu.printer.path) == (Path("/dev/ttyUSB0"), Path("/dev/ttyUSB1"))
    assert (qemu.storage.data, qemu.storage.export) == (
        Path("/var/lib/tamga"), Path("/mnt/usb/bundle"),
    )  # fmt: skip


def real_data() -> dict[str, Any]:
    return tomllib.loads((SIM.parent / "rpi4-official-7in.toml").read_text())


def test_the_framebuffer_console_and_touch_auto_keys() -> None:
    data = real_data()
    data["display"]["tty"] = "/dev/tty7"
    data["touch"] = {"driver": "evdev", "device": "auto"}
    board = parse_board_config(data, SOURCE)
    assert board.display.tty == Path("/dev/tty7")
    assert (board.touch.path, board.touch.name) == (None, None)
    data["touch"]["name"] = "*Goodix*"
    assert parse_board_config(data, SOURCE).touch.name == "*Goodix*"
    data["touch"]["device"] = "/dev/input/event3"
    error = refused(data)
    assert (error.key, str(error).endswith('only with device = "auto"')) == ("touch.name", True)


@pytest.mark.parametrize(
    ("scanner", "key", "problem"),
    [
        ({}, "scanner.device", "missing: give device (a path) or name (a pattern)"),
        ({"device": "/dev/input/event1", "name": "*Scan*"}, "scanner.name", "not both"),
        ({"name": "*Scan*", "layout": "kz"}, "scanner.layout", "must be one of 'us', 'ru'"),
        ({"name": ""}, "scanner.name", "non-empty string"),
        ({"name": "*Scan*", "suffix": "CR"}, "scanner.suffix", "unknown key in [scanner]"),
        ({"name": "*Scan*", "port": "/dev/ttyACM0"}, "scanner.port", "unknown key"),
    ],
)
def test_keyboard_wedge_scanner_keys(scanner: dict[str, object], key: str, problem: str) -> None:
    data = real_data()
    data["scanner"] = {"driver": "evdev", **scanner}
    error = refused(data)
    assert error.key == key
    assert problem in str(error)


def test_a_keyboard_wedge_scanner_by_name_or_path() -> None:
    data = real_data()
    data["scanner"] = {"driver": "evdev", "name": "*Honeywell*", "layout": "ru"}
    board = parse_board_config(data, SOURCE)
    assert (board.scanner.path, board.scanner.name) == (None, "*Honeywell*")
    assert board.scanner.layout is KeyboardLayout.RU
    data["scanner"] = {"driver": "evdev", "device": "/dev/input/by-id/x-event-kbd"}
    board = parse_board_config(data, SOURCE)
    assert (board.scanner.path, board.scanner.layout) == (
        Path("/dev/input/by-id/x-event-kbd"), KeyboardLayout.US,
    )  # fmt: skip


def test_the_gpio_section_is_optional_and_names_its_lines() -> None:
    data = sim_data()
    data["gpio"] = {}
    assert parse_board_config(data, SOURCE).gpio.driver is GpioDriver.NONE
    data["gpio"] = {"driver": "none"}
    assert parse_board_config(data, SOURCE).gpio.driver is GpioDriver.NONE
    data["gpio"] = {"driver": "none", "seal_line": 17}
    assert str(refused(data)).endswith("gpio.seal_line: unknown key in [gpio] with driver 'none'")
    data["gpio"] = {"driver": "chardev", "chip": "pinctrl-rp1", "seal_line": 17, "led_line": 27}
    gpio = parse_board_config(data, SOURCE).gpio
    assert (gpio.driver, gpio.chip, gpio.seal_line, gpio.seal_active_low, gpio.led_line) == (
        GpioDriver.CHARDEV, "pinctrl-rp1", 17, True, 27,
    )  # fmt: skip
    for wrong, key, problem in (
        ({"driver": "chardev", "seal_line": 17}, "gpio.chip", "missing"),
        ({"driver": "chardev", "chip": "x"}, "gpio.seal_line", "name seal_line, led_line or both"),
        (
            {"driver": "chardev", "chip": "x", "seal_line": 5, "led_line": 5},
            "gpio.led_line",
            "another",
        ),
        ({"driver": "chardev", "chip": "x", "seal_line": -1}, "gpio.seal_line", "whole number"),
        ({"driver": "chardev", "chip": "x", "led_line": True}, "gpio.led_line", "whole number"),
        (
            {"driver": "chardev", "chip": "x", "led_line": 3, "seal_active_low": 1},
            "gpio.seal_active_low",
            "true or false",
        ),
        ({"driver": "chardev", "chip": "x", "led_line": 3, "pin": 3}, "gpio.pin", "unknown key"),
        ({"driver": "sysfs"}, "gpio.driver", "must be one of"),
    ):
        data["gpio"] = wrong
        error = refused(data)
        assert error.key == key and problem in str(error), (wrong, str(error))


def test_the_socket_display_has_no_console() -> None:
    data = sim_data()
    data["display"]["tty"] = "/dev/tty1"
    assert str(refused(data)).endswith("display.tty: unknown key in [display] with driver 'socket'")


# --- the device key -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ({"source": "otp"}, OtpDeviceKey(OTP_TOOL)),
        ({"source": "otp", "tool": "/opt/otp"}, OtpDeviceKey(Path("/opt/otp"))),
        ({"source": "file", "path": "/mnt/devkey/k"}, KeyFileDeviceKey(Path("/mnt/devkey/k"))),
        ({"source": "disk", "device": "/dev/vda"}, DiskDeviceKey(Path("/dev/vda"))),
    ],
)
def test_the_device_key_section_chooses_its_source(
    table: dict[str, object], expected: object
) -> None:
    data = sim_data()
    data["device_key"] = table
    assert open_device_key(parse_board_config(data, SOURCE).device_key) == expected


@pytest.mark.parametrize(
    ("table", "key", "problem"),
    [
        ({"source": "tpm"}, "source", "must be one of 'otp', 'file', 'disk'"),
        ({"source": "file"}, "path", "missing"),
        ({"source": "disk"}, "device", "missing"),
        ({"source": "file", "device": "/dev/vda", "path": "k"}, "device", "unknown key"),
        ({"source": "otp", "path": "k"}, "path", "unknown key"),
        # The key that seals the card's secrets must never travel on the card.
        ({"source": "file", "path": "data/device.key"}, "path", "another medium than storage.data"),
        ({"source": "file", "path": "./data/../data/k"}, "path", "storage.data"),
        ({"source": "file", "path": "bundle/k"}, "path", "another medium than storage.export"),
    ],
)
def test_a_bad_device_key_section_is_refused(
    table: dict[str, object], key: str, problem: str
) -> None:
    data = sim_data()
    data["device_key"] = table
    error = refused(data)
    assert error.key == f"device_key.{key}" and problem in str(error), error


def test_a_board_without_a_device_key_is_refused() -> None:
    data = sim_data()
    del data["device_key"]
    assert refused(data).key == "device_key"


def test_a_device_key_file_on_the_mirror_is_refused() -> None:
    data = sim_data()
    data["storage"]["mirror"] = "/media/mirror"
    data["device_key"] = {"source": "file", "path": "/media/mirror/tamga/device.key"}
    assert "storage.mirror" in str(refused(data))


def test_reading_a_board_file_opens_and_imports_no_driver() -> None:
    """The config is data: reading it pulls in no driver module (nor evdev, serial), so the
    drivers can import their settings from it without an import circle."""
    code = (
        "import sys; from terminal.hal.board_config import load_board; "
        f"load_board(__import__('pathlib').Path({str(SIM)!r})); "
        "print(sorted(m for m in sys.modules"
        " if m.startswith(('terminal.hal.', 'evdev', 'serial'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = set(ast.literal_eval(out))
    assert loaded <= {
        "terminal.hal.board_config",
        "terminal.hal.device_key",
        "terminal.hal.rotation",
    }, loaded


def test_the_keypad_section_is_optional_and_names_its_device() -> None:
    data = sim_data()
    del data["keypad"]
    assert parse_board_config(data, SOURCE).keypad == KeypadConfig(KeypadDriver.NONE)
    assert load_board(SIM).keypad == KeypadConfig(KeypadDriver.SOCKET, Path("dev/keypad.sock"))
    data["keypad"] = {"driver": "evdev", "device": "auto", "name": "*Keypad*"}
    assert parse_board_config(data, SOURCE).keypad == KeypadConfig(
        KeypadDriver.EVDEV, None, "*Keypad*"
    )
    data["keypad"] = {"driver": "evdev", "device": "/dev/input/by-id/usb-keypad"}
    assert parse_board_config(data, SOURCE).keypad.path == Path("/dev/input/by-id/usb-keypad")
    for wrong, key, problem in (
        ({"driver": "evdev"}, "keypad.device", "missing"),
        ({"driver": "evdev", "device": "/dev/input/event3", "name": "x"}, "keypad.name", "only"),
        ({"driver": "socket"}, "keypad.socket", "missing"),
        ({"driver": "none", "device": "auto"}, "keypad.device", "unknown key"),
        ({"driver": "gpio"}, "keypad.driver", "must be one of"),
        ("evdev", "keypad", "must be a table"),
    ):
        data["keypad"] = wrong
        error = refused(data)
        assert error.key == key and problem in str(error), (wrong, str(error))


def test_the_enclosure_controllers_keys_can_be_the_keypad() -> None:
    data = tomllib.loads((SIM.parent / "sim-enclosure.toml").read_text())
    data["keypad"] = {"driver": "enclosure"}
    assert parse_board_config(data, SOURCE).keypad == KeypadConfig(KeypadDriver.ENCLOSURE)
    data["keypad"] = {"driver": "enclosure", "socket": "dev/keypad.sock"}
    error = refused(data)
    assert error.key == "keypad.socket" and "unknown key" in str(error)
    # Without a controller there are no keys to read: refused, not a keypad that never speaks.
    data = sim_data()
    data["keypad"] = {"driver": "enclosure"}
    error = refused(data)
    assert error.key == "keypad.driver" and "no [enclosure]" in str(error)


def test_the_audio_section_is_optional_and_names_its_device() -> None:
    data = sim_data()
    assert parse_board_config(data, SOURCE).audio == AudioConfig(AudioDriver.NONE)
    data["audio"] = {"driver": "alsa", "device": "plughw:CARD=Device,DEV=0"}
    assert parse_board_config(data, SOURCE).audio == AudioConfig(
        AudioDriver.ALSA, device="plughw:CARD=Device,DEV=0"
    )
    data["audio"] = {"driver": "socket", "socket": "dev/audio.sock"}
    assert parse_board_config(data, SOURCE).audio == AudioConfig(
        AudioDriver.SOCKET, path=Path("dev/audio.sock")
    )
    for wrong, key, problem in (
        ({"driver": "alsa"}, "audio.device", "missing"),
        ({"driver": "alsa", "device": "-Dhw:0"}, "audio.device", "ALSA device name"),
        ({"driver": "alsa", "device": "hw 0"}, "audio.device", "ALSA device name"),
        ({"driver": "alsa", "device": "hw:0", "socket": "a"}, "audio.socket", "unknown key"),
        ({"driver": "socket"}, "audio.socket", "missing"),
        ({"driver": "none", "device": "hw:0"}, "audio.device", "unknown key"),
        ({"driver": "pulse"}, "audio.driver", "must be one of"),
        ("alsa", "audio", "must be a table"),
    ):
        data["audio"] = wrong
        error = refused(data)
        assert error.key == key and problem in str(error), (wrong, str(error))

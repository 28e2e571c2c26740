"""Board files: the shipped ones load, every mistake is refused with the file and key named."""

from __future__ import annotations

import datetime as dt
import functools
import os
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.panel import SimulatedPanel
from terminal.hal.board import (
    DEFAULT_BOLD_FONT,
    DEFAULT_REGULAR_FONT,
    BoardConfig,
    BoardConfigError,
    ClockSource,
    DisplayDriver,
    PrinterDriver,
    Role,
    ScannerDriver,
    TouchCalibration,
    TouchDriver,
    load_board,
    open_devices,
    parse_board_config,
)
from terminal.hal.serial_scanner import Suffix

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
    assert (board.scanner.path, board.scanner.suffix) == (Path("dev/scanner"), Suffix.CR)
    assert (board.scanner.baudrate, board.scanner.aim_prefix) == (9600, False)
    assert board.printer.driver is PrinterDriver.SERIAL
    assert (board.printer.path, board.printer.width_dots) == (Path("dev/printer"), 384)
    assert (board.storage.data, board.storage.mirror) == (Path("data"), None)
    assert board.storage.export == Path("bundle")
    assert board.clock.source is ClockSource.SYSTEM
    assert (board.fonts.regular, board.fonts.bold) == (DEFAULT_REGULAR_FONT, DEFAULT_BOLD_FONT)


def test_a_full_real_board_loads() -> None:
    data = {
        "terminal": {"role": "vote"},
        "display": {
            "driver": "framebuffer",
            "device": "/dev/fb0",
            "width": 800,
            "height": 480,
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
    }
    board = parse_board_config(data, SOURCE)
    assert board.display.rotation == 180
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
    data["keypad"] = {"driver": "gpio"}
    assert refused(data).key == "keypad"
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
    ("section", "replacement"),
    [
        ("display", {"driver": "framebuffer", "device": "/dev/fb0", "width": 8, "height": 8}),
        ("touch", {"driver": "evdev", "device": "/dev/input/event0"}),
        ("scanner", {"driver": "evdev", "device": "/dev/input/event1"}),
    ],
)
def test_drivers_not_built_yet_are_refused_when_opening(
    section: str, replacement: dict[str, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = sim_data()
    data[section] = replacement
    board = parse_board_config(data, SOURCE)
    monkeypatch.chdir(tmp_path)
    # The devices opened before the refused one are the simulator's.
    driver = replacement["driver"]
    with (
        SimulatedPanel(tmp_path / "dev"),
        pytest.raises(BoardConfigError, match=rf"{section}\.driver: the '{driver}' driver is not"),
    ):
        open_devices(board)


def test_the_simulator_board_opens_its_devices_relative_to_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ptys = []
    for name in ("scanner", "printer"):
        master, slave = os.openpty()
        ptys.append(master)
        (tmp_path / "dev").mkdir(exist_ok=True)
        (tmp_path / "dev" / name).symlink_to(os.ttyname(slave))
        os.close(slave)
    monkeypatch.chdir(tmp_path)
    with SimulatedPanel(tmp_path / "dev") as panel:
        devices = open_devices(load_board(SIM))
        assert (devices.display.width, devices.display.height) == (800, 480)
        assert devices.printer.width == 384
        assert devices.clock.source == "system"
        assert devices.scanner.read() == []
        assert devices.touch.read() == []
        panel.tap(5, 5)
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

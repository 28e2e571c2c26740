"""Reading `evtest` captures (tests/hal/data/*.txt): a device's name, its keys and absolute
axes, and its events as (type, code, value), to replay through the drivers' decoders.

evtest prints every event with the names of its type and code; each is checked against
python-evdev's tables, so that a capture edited by hand cannot carry a mistyped code.
Lines starting with '#' are comments (evtest writes none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from evdev import ecodes

from terminal.hal.evdev_input import AxisInfo, Capabilities, RawEvent

DATA = Path(__file__).resolve().parent / "data"

_NAME = re.compile(r'^Input device name: "(.*)"$')
_TYPE = re.compile(r"^  Event type (\d+) \((\w+)\)$")
_CODE = re.compile(r"^    Event code (\d+) \((\w+)\)$")
_AXIS = re.compile(r"^      (Value|Min|Max|Fuzz|Flat|Resolution)\s+(-?\d+)$")
_EVENT = re.compile(
    r"^Event: time \d+\.\d{6}, type (\d+) \((\w+)\), code (\d+) \((\w+)\), value (-?[0-9a-f]+)$"
)
_SYN = re.compile(r"^Event: time \d+\.\d{6}, -{14} (SYN_\w+) -{12}$")
_DROPPED = re.compile(r"^>{14} SYN_DROPPED <{12}$")


@dataclass(frozen=True)
class Capture:
    name: str
    capabilities: Capabilities
    events: list[RawEvent]


def _check_name(type_: int, code: int, name: str) -> None:
    names = ecodes.bytype[type_][code]
    known = {names} if isinstance(names, str) else set(names)
    assert name in known, f"code {code} of type {type_} is {known}, not {name}"


def load(name: str) -> Capture:
    """Parse tests/hal/data/`name`."""
    device = ""
    keys: set[int] = set()
    axes: dict[int, AxisInfo] = {}
    events: list[RawEvent] = []
    section = ""
    type_ = -1
    axis: dict[str, int] = {}
    axis_code = -1

    def finish_axis() -> None:
        if axis_code >= 0:
            axes[axis_code] = AxisInfo(axis["Value"], axis["Min"], axis["Max"])

    for number, line in enumerate((DATA / name).read_text().splitlines(), 1):
        where = f"{name}:{number}"
        if line.startswith("#") or not line.strip():
            continue
        if match := _NAME.match(line):
            device = match[1]
        elif line == "Supported events:":
            section = "events"
        elif line in ("Properties:", "Key repeat handling:") or line.startswith("Testing"):
            finish_axis()
            axis_code = -1
            section = "" if line.startswith("Testing") else "other"
        elif section == "events" and (match := _TYPE.match(line)):
            finish_axis()
            axis_code = -1
            type_ = int(match[1])
            assert ecodes.EV[type_] == match[2], where
        elif section == "events" and (match := _CODE.match(line)):
            finish_axis()
            axis_code = -1
            code = int(match[1])
            _check_name(type_, code, match[2])
            if type_ == ecodes.EV_KEY:
                keys.add(code)
            elif type_ == ecodes.EV_ABS:
                axis_code, axis = code, {}
        elif section == "events" and (match := _AXIS.match(line)):
            axis[match[1]] = int(match[2])
        elif match := _EVENT.match(line):
            event_type, code = int(match[1]), int(match[3])
            assert ecodes.EV[event_type] == match[2], where
            _check_name(event_type, code, match[4])
            # evtest prints MSC_SCAN and MSC_RAW values in hex, everything else in decimal.
            hex_value = event_type == ecodes.EV_MSC and code in (ecodes.MSC_SCAN, ecodes.MSC_RAW)
            events.append((event_type, code, int(match[5], 16 if hex_value else 10)))
        elif match := _SYN.match(line):
            events.append((ecodes.EV_SYN, getattr(ecodes, match[1]), 0))
        elif _DROPPED.match(line):
            events.append((ecodes.EV_SYN, ecodes.SYN_DROPPED, 0))
        elif section != "other" and not line.startswith("Input "):
            raise AssertionError(f"{where}: not evtest output: {line!r}")
    assert device, f"{name}: no device name"
    return Capture(device, Capabilities(frozenset(keys), axes), events)

# The simulator's controller: the firmware's own board.py and controller.py over the faked
# machine, driven line by line by run.mjs --serve (sim/enclosure.py writes the lines):
#
#   pair HEX          the pairing key into flash (provisioning)
#   boot CAUSE        power the controller on (again): power_on or watchdog
#   rx HEX            bytes from the Pi's UART
#   pin NAME LEVEL    an input's level: seal, lid, slip (0 or 1), key0..key6
#   pulse NAME LEVEL MS   the level for MS milliseconds of the controller's own time, then
#                     back (a slip through the beam): timed here, not by the simulator, so
#                     that a stalled pipe cannot squeeze the pulse between two loop turns
#
# and every tick it turns the loop once and answers "tx HEX" with what it sent the Pi.
import time

import machine

import board
import controller

ROOT = "/flash"
PINS = {"seal": board.SEAL, "lid": board.LID, "slip": board.SLIP}
for _index, _pin in enumerate(board.KEYS):
    PINS["key%d" % _index] = _pin
CAUSES = {"power_on": machine.PWRON_RESET, "watchdog": machine.WDT_RESET}
_state = {"controller": None, "board": None}
_pulses = []  # [pin, level to go back to, start ms, length ms, loop turns seen]


def start():
    machine.levels[board.SEAL] = 0  # the enclosure is sealed and shut
    machine.levels[board.LID] = 0
    machine.levels[board.SLIP] = 1  # the beam is free


def command(line):
    verb, _, argument = line.strip().partition(" ")
    if verb == "pair":
        with open(ROOT + "/pairing.key", "wb") as handle:
            handle.write(bytes.fromhex(argument))
    elif verb == "boot":
        machine.cause = CAUSES[argument]
        machine.UART(board.UART_ID)  # a reset empties the UART's queues
        chip = board.PicoBoard(ROOT)
        _state["controller"] = controller.Controller(chip)
        _state["board"] = chip
        chip.start_watchdog(controller.WATCHDOG_MS)
    elif verb == "rx":
        if machine.uart is not None:
            machine.uart.rx += bytes.fromhex(argument)
    elif verb == "pin":
        name, level = argument.split()
        machine.levels[PINS[name]] = int(level)
    elif verb == "pulse":
        name, level, length = argument.split()
        pin = PINS[name]
        _pulses.append([pin, machine.levels[pin], time.ticks_ms(), int(length), 0])
        machine.levels[pin] = int(level)
    else:
        raise ValueError("unknown command: " + line)
    return ""


def tick():
    chip = _state["controller"]
    if chip is None:
        return ""
    chip.step()
    for pulse in list(_pulses):
        pulse[4] += 1
        # Held for its length and seen by enough turns to get past any debounce.
        if time.ticks_diff(time.ticks_ms(), pulse[2]) >= pulse[3] and pulse[4] >= 3:
            machine.levels[pulse[0]] = pulse[1]
            _pulses.remove(pulse)
    if chip.may_sleep():
        _state["board"].dormant()  # the faked lightsleep returns at once
    sent = machine.uart.take()
    return "tx " + sent.hex() + "\n" if sent else ""

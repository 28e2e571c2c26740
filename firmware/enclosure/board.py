# The thin board module: the only code that touches `machine` (and the rp2 port's `os`).
# The controller's logic sees levels as booleans, bytes in and out of the UART, and a few
# verbs; the tests and the simulator run this same module over a faked `machine`.
#
# Wiring (Raspberry Pi Pico, RP2040; docs/enclosure.md has the table and the Pi's side):

import time

import machine

try:
    from os import urandom
except ImportError:
    # The webassembly port the tests run on has no urandom; its faked machine gives one.
    from machine import urandom

UART_ID = 0
UART_TX = 0  # GP0 -> the Pi's GPIO15 (RXD, header pin 10)
UART_RX = 1  # GP1 <- the Pi's GPIO14 (TXD, header pin 8)
BAUDRATE = 115200
SEAL = 2  # GP2: seal switch to ground, closed while sealed
LID = 3  # GP3: ballot box lid switch to ground, closed while shut
SLIP = 4  # GP4: the slot's light-beam receiver (open collector)
SLIP_BLOCKED_LEVEL = 0  # the receiver pulls low while the beam is broken
KEYS = (6, 7, 8, 9, 10, 11, 12)  # GP6-GP12: up, down, left, right, select, back, help
LED_POLLS_OPEN = 13  # GP13: green
LED_ATTENTION = 14  # GP14: amber
LED_FAULT = 15  # GP15: red
BUZZER = 16  # GP16: an active piezo buzzer through an NPN transistor

RESET_POWER_ON, RESET_WATCHDOG, RESET_OTHER = 1, 2, 3


class PicoBoard:
    def __init__(self, root="/", clock=time.ticks_ms):
        pin = machine.Pin
        self.root = root.rstrip("/") or ""
        self.ticks_ms = clock
        self._seal = pin(SEAL, pin.IN, pin.PULL_UP)
        self._lid = pin(LID, pin.IN, pin.PULL_UP)
        self._slip = pin(SLIP, pin.IN, pin.PULL_UP)
        self._keys = [pin(number, pin.IN, pin.PULL_UP) for number in KEYS]
        self._leds = [pin(n, pin.OUT, value=0) for n in (LED_POLLS_OPEN, LED_ATTENTION, LED_FAULT)]
        self._buzzer = pin(BUZZER, pin.OUT, value=0)
        self._uart = machine.UART(
            UART_ID, baudrate=BAUDRATE, tx=pin(UART_TX), rx=pin(UART_RX), rxbuf=1024, timeout=0
        )
        self._watchdog = None
        # Any edge of these wakes the chip from dormant: a switch, a slip, or the Pi talking
        # (its HELLO is repeated every second, so the one that woke the chip may be lost).
        edges = pin.IRQ_FALLING | pin.IRQ_RISING
        for wake in (self._seal, self._lid, self._slip, pin(UART_RX)):
            wake.irq(handler=_woken, trigger=edges)

    def seal_closed(self):
        return self._seal.value() == 0

    def lid_closed(self):
        return self._lid.value() == 0

    def slip_blocked(self):
        return self._slip.value() == SLIP_BLOCKED_LEVEL

    def keys(self):
        return [key.value() == 0 for key in self._keys]

    def set_lights(self, polls_open, attention, fault):
        for led, on in zip(self._leds, (polls_open, attention, fault)):
            led.value(1 if on else 0)

    def set_buzzer(self, on):
        self._buzzer.value(1 if on else 0)

    def uart_read(self):
        return self._uart.read() if self._uart.any() else None

    def uart_write(self, data):
        self._uart.write(data)

    def random(self, count):
        # The rp2 port's urandom samples the ring oscillator's random bit.
        return urandom(count)

    def reset_cause(self):
        cause = machine.reset_cause()
        if cause == machine.WDT_RESET:
            return RESET_WATCHDOG
        return RESET_POWER_ON if cause == machine.PWRON_RESET else RESET_OTHER

    def start_watchdog(self, timeout_ms):
        self._watchdog = machine.WDT(timeout=timeout_ms)

    def feed_watchdog(self):
        if self._watchdog is not None:
            self._watchdog.feed()

    def idle(self):
        time.sleep_ms(1)

    def dormant(self):
        """Sleep until an edge of a wake pin. On the rp2 port lightsleep() without a time
        stops the crystal oscillator (DORMANT); the watchdog's tick comes from it, so the
        watchdog waits too, and is fed as soon as the loop turns again."""
        self.set_lights(False, False, False)
        self.set_buzzer(False)
        machine.lightsleep()


def _woken(pin):
    # Waking is all the edge is for: the loop reads the levels itself, debounced.
    pass

# The enclosure controller's logic: inputs to numbered events, the session with the Pi,
# the lights and the buzzer. Everything it touches goes through a board (board.py on the
# Pico; the same module over faked `machine` in the tests and the simulator).

import struct
import time

import frame
from inputs import Debounced, Keys, SlipSensor, SWITCH_MS
from store import Store

WATCHDOG_MS = 2000  # the loop turns every ~1 ms; a hang restarts the controller
PI_TIMEOUT_MS = 3000  # the Pi sends STATE every second: three missed and it is away
ANNOUNCE_MS = 1000  # without a session, how often the controller says it is there
RESEND_MS = 2000  # an event not acknowledged by then is sent again
EVENT_GAP_MS = 50  # at most 20 event frames a second (docs/enclosure.md, measured limits)
SLEEP_AFTER_MS = 10000  # the Pi away this long and nothing moving: dormant until an edge
ALARM_MS = 250  # the buzzer's alarm: on and off this long
CLICK_MS = 30  # a key's click
BLINK_MS = 500  # the fault LED's blink without a pairing key

# Event kinds (the Pi's names: terminal/hal/enclosure_protocol.py).
BOOT = 1  # value: 1 power-on, 2 watchdog, 3 other reset
SEAL_OPENED = 2
SEAL_CLOSED = 3
LID_OPENED = 4
LID_CLOSED = 5
SLIP = 6  # value: slips counted since provisioning
JAM = 7
JAM_CLEARED = 8
TAMPER_WHILE_OFF = 9  # value: 1 seal, 2 lid; while no Pi was connected
SLIP_WHILE_OFF = 10  # value: slips counted since provisioning
STATE_DAMAGED = 11  # the flash state did not check at boot: counters restart from zero

LIGHT_POLLS_OPEN = 1
LIGHT_ATTENTION = 2
LIGHT_FAULT = 4
BUZZER_ALARM = 1

STATUS_SEAL_CLOSED = 1
STATUS_LID_CLOSED = 2
STATUS_JAMMED = 4


class Controller:
    def __init__(self, board):
        self.board = board
        now = board.ticks_ms()
        self.store = Store(board.root)
        self.store.load()
        self.store.boots += 1
        self.pairing_key = self.store.pairing_key()
        self._pairing = frame.Hmac(self.pairing_key) if self.pairing_key else None
        self._session = None  # the session key's Hmac
        self._seq_out = 0
        self._seq_in = 0
        self._last_rx = None  # when the last authentic session frame came
        self._last_announce = None
        self._sent = {}  # event counter -> when it was last sent, in this session
        self._last_event_sent = now
        self._decoder = frame.Decoder()
        self.refused_mac = 0
        self.refused_replay = 0
        self._lights = 0
        self._buzzer = 0
        self._click_until = None
        self._idle_since = now
        self.seal = Debounced(board.seal_closed(), SWITCH_MS, now)
        self.lid = Debounced(board.lid_closed(), SWITCH_MS, now)
        self.slips = SlipSensor(board.slip_blocked(), now)
        self.keys = Keys(board.keys(), now)
        if self.store.damaged:
            self.store.record(STATE_DAMAGED, 0)
        self.store.record(BOOT, board.reset_cause())
        # Found open at power-on: it was opened while nobody was watching.
        if not self.seal.level:
            self._tamper(1)
        if not self.lid.level:
            self._tamper(2)

    # --- the loop ---------------------------------------------------------------------

    def step(self):
        """One turn of the loop: the line, the inputs, the outputs."""
        board = self.board
        board.feed_watchdog()
        now = board.ticks_ms()
        data = board.uart_read()
        if data:
            for received in self._decoder.feed(data):
                self._receive(received, now)
        self._inputs(now)
        self._send_pending(now)
        self._outputs(now)

    def present(self, now):
        """Whether a Pi is connected: an authentic frame of this session came lately."""
        return (
            self._session is not None
            and self._last_rx is not None
            and (time.ticks_diff(now, self._last_rx) < PI_TIMEOUT_MS)
        )

    def may_sleep(self):
        """Dormant is safe: no Pi for SLEEP_AFTER_MS and every input settled."""
        now = self.board.ticks_ms()
        if self.present(now) or time.ticks_diff(now, self._idle_since) < SLEEP_AFTER_MS:
            return False
        return self.seal.settled() and self.lid.settled() and self.slips.settled()

    # --- inputs -----------------------------------------------------------------------

    def _inputs(self, now):
        board = self.board
        present = self.present(now)
        if present:
            self._idle_since = now
        if self.seal.update(board.seal_closed(), now):
            self._switch(self.seal.level, SEAL_OPENED, SEAL_CLOSED, 1, present)
        if self.lid.update(board.lid_closed(), now):
            self._switch(self.lid.level, LID_OPENED, LID_CLOSED, 2, present)
        for event in self.slips.update(board.slip_blocked(), now):
            if event == "slip":
                self.store.slips += 1
                self.store.record(SLIP if present else SLIP_WHILE_OFF, self.store.slips)
            else:
                self.store.record(JAM if event == "jam" else JAM_CLEARED, 0)
        for index, down in self.keys.update(board.keys(), now):
            if down:
                self._click_until = time.ticks_add(now, CLICK_MS)
            if present:
                self._send(frame.KEY, bytes((index, 1 if down else 0)))

    def _switch(self, closed, opened_kind, closed_kind, which, present):
        if closed:
            self.store.record(closed_kind, 0)
        elif present:
            self.store.record(opened_kind, 0)
        else:
            self._tamper(which)

    def _tamper(self, which):
        self.store.tamper_off += 1
        self.store.record(TAMPER_WHILE_OFF, which)

    # --- the line ---------------------------------------------------------------------

    def _receive(self, received, now):
        if received.kind == frame.HELLO:
            if self._pairing is None or not received.authentic(self._pairing, frame.FROM_PI):
                self.refused_mac += 1
            elif received.seq != 0 or len(received.payload) != frame.NONCE:
                self.refused_replay += 1
            else:
                self._start_session(received.payload, now)
            return
        if self._session is None or not received.authentic(self._session, frame.FROM_PI):
            self.refused_mac += 1
            return
        if received.seq <= self._seq_in:
            self.refused_replay += 1
            return
        self._seq_in = received.seq
        self._last_rx = now
        if received.kind == frame.STATE and len(received.payload) == 6:
            self._lights, self._buzzer = received.payload[0], received.payload[1]
            (ack,) = struct.unpack(">I", received.payload[2:6])
            self.store.acknowledge(ack)
            self._send(frame.STATUS, self._status())

    def _start_session(self, pi_nonce, now):
        nonce = self.board.random(frame.NONCE)
        key = frame.session_key(self.pairing_key, pi_nonce, nonce)
        payload = nonce + pi_nonce + struct.pack(">II", self.store.boots, self.store.counter)
        self.board.uart_write(
            frame.encode(self._pairing, frame.FROM_CONTROLLER, frame.WELCOME, 0, payload)
        )
        self._session = frame.Hmac(key)
        self._seq_out = 0
        self._seq_in = 0
        self._last_rx = now
        self._sent = {}

    def _status(self):
        flags = (
            (STATUS_SEAL_CLOSED if self.seal.level else 0)
            | (STATUS_LID_CLOSED if self.lid.level else 0)
            | (STATUS_JAMMED if self.slips.jammed else 0)
        )
        store = self.store
        return struct.pack(
            ">BIIIHHH",
            flags,
            store.slips,
            store.counter,
            store.tamper_off,
            min(self._decoder.garbled, 0xFFFF),
            min(self.refused_mac, 0xFFFF),
            min(self.refused_replay, 0xFFFF),
        )

    def _send(self, kind, payload):
        self._seq_out += 1
        self.board.uart_write(
            frame.encode(self._session, frame.FROM_CONTROLLER, kind, self._seq_out, payload)
        )

    def _send_pending(self, now):
        if self._pairing is None:
            return
        if not self.present(now):
            if (
                self._last_announce is None
                or time.ticks_diff(now, self._last_announce) >= ANNOUNCE_MS
            ):
                self._last_announce = now
                payload = struct.pack(">I", self.store.boots)
                self.board.uart_write(
                    frame.encode(self._pairing, frame.FROM_CONTROLLER, frame.ANNOUNCE, 0, payload)
                )
            return
        if time.ticks_diff(now, self._last_event_sent) < EVENT_GAP_MS:
            return
        for counter, kind, value in self.store.pending:
            sent = self._sent.get(counter)
            if sent is None or time.ticks_diff(now, sent) >= RESEND_MS:
                self._sent[counter] = now
                self._last_event_sent = now
                self._send(frame.EVENT, struct.pack(">IBI", counter, kind, value))
                return

    # --- outputs ----------------------------------------------------------------------

    def _outputs(self, now):
        board = self.board
        if self._pairing is None:
            # Unprovisioned: nothing can be trusted from or sent to the Pi.
            board.set_lights(False, False, (now // BLINK_MS) % 2 == 0)
            board.set_buzzer(False)
            return
        if self.present(now):
            lights, alarm = self._lights, self._buzzer & BUZZER_ALARM
        else:
            # The Pi is away: only a jam is shown, on the fault light.
            lights, alarm = LIGHT_FAULT if self.slips.jammed else 0, 0
        board.set_lights(
            bool(lights & LIGHT_POLLS_OPEN),
            bool(lights & LIGHT_ATTENTION),
            bool(lights & LIGHT_FAULT),
        )
        click = self._click_until is not None and time.ticks_diff(self._click_until, now) > 0
        board.set_buzzer(click or bool(alarm and (now // ALARM_MS) % 2 == 0))


def run(board):
    """The controller's life: never returns (the watchdog restarts a hung loop)."""
    controller = Controller(board)
    board.start_watchdog(WATCHDOG_MS)
    while True:
        controller.step()
        if controller.may_sleep():
            board.dormant()
        else:
            board.idle()

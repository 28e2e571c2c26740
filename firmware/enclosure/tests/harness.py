# What the MicroPython tests share: a controller on the faked machine with a fake clock,
# and a Pi's end of the line speaking the frames of frame.py.
import os
import struct

import machine

import board
import controller
import frame

ROOT = "/flash"
PAIRING_KEY = bytes(range(32))


def wipe():
    for name in os.listdir(ROOT):
        os.remove(ROOT + "/" + name)


def provision(key=PAIRING_KEY):
    with open(ROOT + "/pairing.key", "wb") as handle:
        handle.write(key)


class Clock:
    def __init__(self):
        self.now = 1000

    def __call__(self):
        return self.now


class Rig:
    """A controller on the faked Pico, and the Pi's side of its UART."""

    def __init__(self, fresh=True, key=PAIRING_KEY):
        if fresh:
            wipe()
            if key is not None:
                provision(key)
        machine.levels.clear()
        machine.outputs.clear()
        machine.levels[board.SEAL] = 0  # closed
        machine.levels[board.LID] = 0
        machine.levels[board.SLIP] = 1  # beam free
        self.clock = Clock()
        self.board = board.PicoBoard(ROOT, self.clock)
        self.controller = controller.Controller(self.board)
        self.pairing = frame.Hmac(key or bytes(32))
        self.session = None
        self.seq = 0
        self.seq_in = 0
        self.decoder = frame.Decoder()
        self.refused = []

    def run(self, ms, step=5):
        """Let the controller run `ms` milliseconds; returns the authentic frames it sent."""
        received = []
        end = self.clock.now + ms
        while self.clock.now < end:
            self.controller.step()
            received += self.frames()
            self.clock.now += step
        return received

    def frames(self):
        out = []
        for f in self.decoder.feed(machine.uart.take()):
            mac = self.pairing if f.kind in (frame.WELCOME, frame.ANNOUNCE) else self.session
            if mac is None or not f.authentic(mac, frame.FROM_CONTROLLER):
                self.refused.append("mac")
            elif f.kind not in (frame.WELCOME, frame.ANNOUNCE) and f.seq <= self.seq_in:
                self.refused.append("replay")
            else:
                if f.kind not in (frame.WELCOME, frame.ANNOUNCE):
                    self.seq_in = f.seq
                out.append(f)
        return out

    def send(self, data):
        machine.uart.rx += data

    def hello(self, nonce=b"N" * 16):
        """The handshake: returns the WELCOME's boots and counter."""
        self.send(frame.encode(self.pairing, frame.FROM_PI, frame.HELLO, 0, nonce))
        for f in self.run(20):
            if f.kind == frame.WELCOME:
                assert f.payload[16:32] == nonce
                key = frame.session_key(PAIRING_KEY, nonce, f.payload[:16])
                self.session = frame.Hmac(key)
                self.seq = 0
                self.seq_in = 0
                return struct.unpack(">II", f.payload[32:40])
        raise AssertionError("no WELCOME")

    def state_frame(self, lights=0, buzzer=0, ack=0):
        self.seq += 1
        payload = struct.pack(">BBI", lights, buzzer, ack)
        return frame.encode(self.session, frame.FROM_PI, frame.STATE, self.seq, payload)

    def state(self, lights=0, buzzer=0, ack=0):
        self.send(self.state_frame(lights, buzzer, ack))

    def events(self, frames):
        return [struct.unpack(">IBI", f.payload) for f in frames if f.kind == frame.EVENT]

    def status(self, frames):
        found = [f for f in frames if f.kind == frame.STATUS]
        return struct.unpack(">BIIIHHH", found[-1].payload) if found else None

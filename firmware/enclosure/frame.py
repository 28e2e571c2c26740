# The enclosure controller's UART frames, as the controller writes and checks them.
#
#   magic   2  A5 5A         where a frame starts (a garbled stream resynchronises on it)
#   length  1  L             payload bytes, 0..MAX_PAYLOAD
#   type    1
#   seq     4  big-endian    per direction, per session; strictly increasing
#   payload L
#   crc     4  CRC-32 (IEEE) of length..payload: line noise, found before the costly MAC
#   mac    32  HMAC-SHA256 over direction byte + length..payload
#
# The direction byte (b"P" from the Pi, b"C" from the controller) keeps a frame from being
# reflected back to its sender. HELLO, WELCOME and ANNOUNCE are MACed with the pairing key,
# every other frame with the session key (session_key below). The Pi's twin of this module
# is terminal/hal/enclosure_protocol.py; tests run both against each other.

import binascii
import hashlib
import struct

MAGIC = b"\xa5\x5a"
HEADER = 8  # magic, length, type, seq
CRC = 4
MAC = 32
MAX_PAYLOAD = 64
FROM_PI = b"P"
FROM_CONTROLLER = b"C"

HELLO = 0x01  # Pi: its nonce (16)
WELCOME = 0x02  # controller: its nonce (16), the Pi's nonce (16), boots, counter
ANNOUNCE = 0x03  # controller, without a session: boots
STATE = 0x10  # Pi: lights, buzzer, ack (the highest event counter it has logged)
STATUS = 0x20  # controller: switches, slips, counter, refusals
EVENT = 0x21  # controller: counter, kind, value
KEY = 0x22  # controller: key, down

NONCE = 16
SESSION_INFO = b"tamga-enclosure/1 session"


class Hmac:
    """HMAC-SHA256 (RFC 2104) with the key's pads made once: micropython-lib's hmac
    redoes the 64-byte XOR in Python for every message, about 75x slower here."""

    def __init__(self, key):
        if len(key) > 64:
            key = hashlib.sha256(key).digest()
        key = key + bytes(64 - len(key))
        self._inner = bytes(b ^ 0x36 for b in key)
        self._outer = bytes(b ^ 0x5C for b in key)

    def digest(self, message):
        inner = hashlib.sha256(self._inner + message).digest()
        return hashlib.sha256(self._outer + inner).digest()


def equal(a, b):
    """Constant-time comparison (this port's hmac has no compare_digest): the time taken
    does not say how many leading bytes of a forged MAC were right."""
    if len(a) != len(b):
        return False
    diff = 0
    for x, y in zip(a, b):
        diff |= x ^ y
    return diff == 0


def session_key(pairing_key, pi_nonce, controller_nonce):
    """HKDF-SHA256-Expand (RFC 5869) of the pairing key, one block: the pairing key is 32
    random bytes, a valid pseudorandom key, so Extract is not needed (section 3.3)."""
    info = SESSION_INFO + pi_nonce + controller_nonce
    return Hmac(pairing_key).digest(info + b"\x01")


def crc32(data):
    return binascii.crc32(data) & 0xFFFFFFFF


def encode(mac, direction, kind, seq, payload):
    """One frame; `mac` is an Hmac under the key this kind of frame is MACed with."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError("payload too long")
    body = struct.pack(">BBI", len(payload), kind, seq) + payload
    return MAGIC + body + struct.pack(">I", crc32(body)) + mac.digest(direction + body)


class Frame:
    def __init__(self, kind, seq, payload, body, tag):
        self.kind = kind
        self.seq = seq
        self.payload = payload
        self.body = body  # length..payload, what the MAC covers after the direction
        self.tag = tag

    def authentic(self, mac, direction):
        return equal(mac.digest(direction + self.body), self.tag)


class Decoder:
    """Frames out of a byte stream. Bytes that do not make a frame whose CRC holds are
    skipped up to the next magic and counted in `garbled` (a noisy or hostile line costs
    nothing but those bytes). The MAC and the sequence are the caller's to check."""

    def __init__(self):
        self._buffer = b""
        self.garbled = 0

    def feed(self, data):
        self._buffer += data
        frames = []
        while True:
            start = self._buffer.find(MAGIC)
            if start < 0:
                # Keep a last byte that may be the first half of a magic.
                keep = 1 if self._buffer[-1:] == MAGIC[:1] else 0
                if len(self._buffer) > keep:
                    self.garbled += 1
                self._buffer = self._buffer[len(self._buffer) - keep :]
                return frames
            if start > 0:
                self.garbled += 1
                self._buffer = self._buffer[start:]
            if len(self._buffer) < HEADER:
                return frames
            length = self._buffer[2]
            if length > MAX_PAYLOAD:
                self.garbled += 1
                self._buffer = self._buffer[2:]
                continue
            size = HEADER + length + CRC + MAC
            if len(self._buffer) < size:
                return frames
            body = self._buffer[2 : HEADER + length]
            (crc,) = struct.unpack(">I", self._buffer[HEADER + length : HEADER + length + CRC])
            if crc != crc32(body):
                self.garbled += 1
                self._buffer = self._buffer[2:]
                continue
            kind = body[1]
            (seq,) = struct.unpack(">I", body[2:6])
            tag = self._buffer[HEADER + length + CRC : size]
            frames.append(Frame(kind, seq, body[6:], body, tag))
            self._buffer = self._buffer[size:]

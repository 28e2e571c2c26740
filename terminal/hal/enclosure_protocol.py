"""The enclosure controller's UART frames, as the Pi writes and checks them.

The layout (docs/enclosure.md):

    magic A5 5A | length u8 | type u8 | seq u32 | payload | CRC-32 u32 | HMAC-SHA256 (32)

all big-endian; the CRC covers length..payload, the MAC a direction byte (b"P" from the
Pi, b"C" from the controller) and length..payload. HELLO, WELCOME and ANNOUNCE are MACed
with the pairing key, every other frame with the session key: HKDF-SHA256-Expand of the
pairing key over both sides' nonces, fresh at each boot of either side, so frames of an
earlier session (whose sequence numbers restart) never verify again.

The controller's twin of this module is firmware/enclosure/frame.py (MicroPython); the
tests run each against the other.
"""

from __future__ import annotations

import binascii
import hmac
import struct
from dataclasses import dataclass
from enum import Enum, IntEnum

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

MAGIC = b"\xa5\x5a"
HEADER = 8
CRC = 4
MAC = 32
MAX_PAYLOAD = 64
NONCE = 16
PAIRING_KEY_BYTES = 32
FROM_PI = b"P"
FROM_CONTROLLER = b"C"
SESSION_INFO = b"tamga-enclosure/1 session"


class FrameType(IntEnum):
    HELLO = 0x01
    WELCOME = 0x02
    ANNOUNCE = 0x03
    STATE = 0x10
    STATUS = 0x20
    EVENT = 0x21
    KEY = 0x22


class ControllerEvent(IntEnum):
    """The controller's event kinds (firmware/enclosure/controller.py)."""

    BOOT = 1
    SEAL_OPENED = 2
    SEAL_CLOSED = 3
    LID_OPENED = 4
    LID_CLOSED = 5
    SLIP = 6
    JAM = 7
    JAM_CLEARED = 8
    TAMPER_WHILE_OFF = 9
    SLIP_WHILE_OFF = 10
    STATE_DAMAGED = 11


class Refusal(Enum):
    """Why a frame was not taken."""

    GARBLED = "garbled"  # no frame whose CRC holds: line noise, a cut, or junk
    MAC = "mac"  # the MAC does not verify under the key in force
    REPLAY = "replay"  # a sequence number not above the last one taken
    MALFORMED = "malformed"  # authentic, but its payload is not what its type carries


# Payload layouts.
STATE_PAYLOAD = struct.Struct(">BBI")  # lights, buzzer, ack
STATUS_PAYLOAD = struct.Struct(">BIIIHHH")  # flags, slips, counter, tamper_off, refusals x3
EVENT_PAYLOAD = struct.Struct(">IBI")  # counter, kind, value
WELCOME_TAIL = struct.Struct(">II")  # boots, counter

LIGHT_POLLS_OPEN = 1
LIGHT_ATTENTION = 2
LIGHT_FAULT = 4
BUZZER_ALARM = 1
STATUS_SEAL_CLOSED = 1
STATUS_LID_CLOSED = 2
STATUS_JAMMED = 4


def session_key(pairing_key: bytes, pi_nonce: bytes, controller_nonce: bytes) -> bytes:
    """HKDF-SHA256-Expand (RFC 5869) of the pairing key (32 random bytes: a valid PRK)."""
    expand = HKDFExpand(hashes.SHA256(), 32, SESSION_INFO + pi_nonce + controller_nonce)
    return expand.derive(pairing_key)


def crc32(data: bytes) -> int:
    return binascii.crc32(data) & 0xFFFFFFFF


def encode(key: bytes, direction: bytes, kind: int, seq: int, payload: bytes) -> bytes:
    """One frame MACed under `key`."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"frame payload of {len(payload)} bytes, at most {MAX_PAYLOAD}")
    body = struct.pack(">BBI", len(payload), kind, seq) + payload
    tag = hmac.digest(key, direction + body, "sha256")
    return MAGIC + body + struct.pack(">I", crc32(body)) + tag


@dataclass(frozen=True)
class Frame:
    kind: int
    seq: int
    payload: bytes
    body: bytes  # length..payload: what the MAC covers after the direction byte
    tag: bytes

    def authentic(self, key: bytes, direction: bytes) -> bool:
        expected = hmac.digest(key, direction + self.body, "sha256")
        return hmac.compare_digest(expected, self.tag)


class Decoder:
    """Frames out of a byte stream; what cannot be a frame with a good CRC is skipped to
    the next magic and counted in `garbled` (once a run of skipped bytes)."""

    def __init__(self) -> None:
        self._buffer = b""
        self.garbled = 0

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames: list[Frame] = []
        while True:
            start = self._buffer.find(MAGIC)
            if start < 0:
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
            (seq,) = struct.unpack(">I", body[2:6])
            tag = self._buffer[HEADER + length + CRC : size]
            frames.append(Frame(body[1], seq, body[6:], body, tag))
            self._buffer = self._buffer[size:]

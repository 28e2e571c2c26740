# What the controller keeps in its flash (the rp2 port's LittleFS filesystem): its counters
# and the events the Pi has not acknowledged yet, so that an opening while the Pi is off,
# or a slip counted before a reset, is still told when the Pi next connects.
#
#   state.bin:  "TES1", counter, slips, tamper_off, boots (u32 each), pending count (u8),
#               pending events (counter u32, kind u8, value u32 each), CRC-32 of all before
#
# Written whole to state.tmp and renamed over state.bin: LittleFS renames atomically, so a
# power cut leaves the old state or the new one, never half of either.

import os
import struct

import frame

MAGIC = b"TES1"
STATE = "state.bin"
TEMPORARY = "state.tmp"
PAIRING = "pairing.key"
MAX_PENDING = 32


class StoreError(Exception):
    pass


class Store:
    def __init__(self, root):
        self._root = root
        self.counter = 0  # the last event's number: never goes back, never repeats
        self.slips = 0  # slips counted since provisioning
        self.tamper_off = 0  # openings while the Pi was off
        self.boots = 0
        self.pending = []  # (counter, kind, value), oldest first
        self.damaged = False  # state.bin was there but did not check: reported, not hidden

    def _path(self, name):
        return self._root + "/" + name

    def pairing_key(self):
        """The 32-byte key set at provisioning, or None if there is none."""
        try:
            with open(self._path(PAIRING), "rb") as handle:
                key = handle.read()
        except OSError:
            return None
        return key if len(key) == 32 else None

    def load(self):
        try:
            with open(self._path(STATE), "rb") as handle:
                data = handle.read()
        except OSError:
            return  # a fresh controller
        if (
            len(data) < 25
            or data[:4] != MAGIC
            or frame.crc32(data[:-4]) != struct.unpack(">I", data[-4:])[0]
        ):
            self.damaged = True
            return
        self.counter, self.slips, self.tamper_off, self.boots = struct.unpack(">IIII", data[4:20])
        count = data[20]
        if len(data) != 25 + 9 * count:
            self.damaged = True
            return
        self.pending = [struct.unpack(">IBI", data[21 + 9 * i : 30 + 9 * i]) for i in range(count)]

    def save(self):
        body = MAGIC + struct.pack(
            ">IIIIB", self.counter, self.slips, self.tamper_off, self.boots, len(self.pending)
        )
        for event in self.pending:
            body += struct.pack(">IBI", *event)
        body += struct.pack(">I", frame.crc32(body))
        with open(self._path(TEMPORARY), "wb") as handle:
            handle.write(body)
        os.rename(self._path(TEMPORARY), self._path(STATE))

    def record(self, kind, value):
        """A new event, numbered and kept until acknowledged; returns its counter. When the
        Pi has been away for MAX_PENDING events the oldest is dropped: the Pi sees the gap
        in the counters and logs it."""
        self.counter += 1
        self.pending.append((self.counter, kind, value))
        if len(self.pending) > MAX_PENDING:
            self.pending.pop(0)
        self.save()
        return self.counter

    def acknowledge(self, counter):
        kept = [event for event in self.pending if event[0] > counter]
        if len(kept) != len(self.pending):
            self.pending = kept
            self.save()

# How many frames a second this interpreter MACs: a controller's turn of the protocol is
# one STATE checked and one STATUS written. Printed as one line of JSON for the test.
import hashlib
import hmac
import json
import struct
import time

import frame

KEY = bytes(range(32))
ROUNDS = 2000


def per_second(work, rounds):
    start = time.ticks_ms()
    for _ in range(rounds):
        work()
    return rounds * 1000 // max(1, time.ticks_diff(time.ticks_ms(), start))


mac = frame.Hmac(KEY)
state = frame.encode(mac, frame.FROM_PI, frame.STATE, 1, struct.pack(">BBI", 1, 0, 5))
status = struct.pack(">BIIIHHH", 3, 100, 120, 0, 0, 0, 0)


def round_trip():
    decoder = frame.Decoder()
    (got,) = decoder.feed(state)
    assert got.authentic(mac, frame.FROM_PI)
    frame.encode(mac, frame.FROM_CONTROLLER, frame.STATUS, 2, status)


def library_hmac():
    hmac.new(KEY, state, "sha256").digest()


def padded_hmac():
    mac.digest(state)


print(
    json.dumps(
        {
            "frames_checked_and_answered_per_s": per_second(round_trip, ROUNDS),
            "hmac_precomputed_pads_per_s": per_second(padded_hmac, ROUNDS),
            "hmac_micropython_lib_per_s": per_second(library_hmac, ROUNDS // 2),
            "sha256_block_per_s": per_second(lambda: hashlib.sha256(state).digest(), ROUNDS),
        }
    )
)

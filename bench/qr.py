"""Printed QR codes on real thermal paper and in a phone's camera (issue 12's target).

The results protocol of a precinct (one contest of seven choices, and three contests of
twelve) is rendered as the terminal prints it on 58 mm paper, then degraded as
tests/qr_degradation.py models it: faded print (black as grey 160, paper as grey 215), one
dead print-head dot column, a phone photo (blur 1.0, rotated 3 degrees, JPEG q50), and all
three together. A trial succeeds when zbarimg reads every part of the signed protocol.
Target: >= 95 % for each degradation.
"""

from __future__ import annotations

from bench import Context, Figure, info, section
from terminal.app import printouts
from terminal.tally.protocol import qr_parts
from tests import qr_degradation as q
from tests.test_printouts import english, protocol_printout

TARGET = 95.0
TRIALS, QUICK_TRIALS = 40, 10
SHAPES = ((1, 7), (3, 12))


def run(ctx: Context) -> None:
    section("Printed QR codes after thermal-paper and phone-camera degradation")
    trials = QUICK_TRIALS if ctx.quick else TRIALS
    for contests, choices in SHAPES:
        printout, _ = protocol_printout(contests, choices)
        image = printouts.protocol(printout, english, printouts.Paper(384))
        parts = qr_parts(printout.protocol.to_json(), printout.signature)
        info(f"protocol of {contests} x {choices}", f"{len(parts)} parts, each printed twice")
        for name in q.DEGRADATIONS:
            rate = 100 * q.success_rate(image, parts, name, trials, seed=contests)
            ctx.results.add(
                Figure(
                    f"qr {name} {contests}x{choices} decoded",
                    rate,
                    "% of trials",
                    TARGET,
                    "higher",
                    note=f"{trials} trials, zbarimg, every part read",
                )
            )

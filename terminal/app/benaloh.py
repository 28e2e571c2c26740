"""The voter's receipt and the Benaloh challenge at the booth (ballot format 2).

After the review the ballot is encrypted and the receipt printed with its tracking code
(no choice), then the voter casts that very ciphertext or challenges it. A challenged
ballot is spoiled (kept, never counted) and printed with its choices and nonces; the
voter votes again with the same code. The receipt, the slip and a challenge printout are
each cut from the next: separate pieces of paper.
"""

from __future__ import annotations

from PIL import Image

from terminal.app import printouts
from terminal.app.i18n import translator
from terminal.ballot.election import Election
from terminal.tally import elgamal
from terminal.tally.spoiled import Spoiled


def render_receipt(
    election: Election, language: str, ballot: Spoiled, paper: printouts.Paper
) -> Image.Image:
    """The voter's receipt: the tracking code, in the voter's language."""
    receipt = printouts.Receipt(election.name(language), election.mode, ballot.tracking_code)
    return printouts.receipt(receipt, translator(language), paper)


def render_challenge(
    election: Election, language: str, ballot: Spoiled, paper: printouts.Paper
) -> Image.Image:
    """A challenged ballot's printout: SPOILED, the choices and every option's nonce."""
    contests = tuple(
        printouts.SlipContest(
            c.title(language),
            tuple(
                ch.name(language) for ch in c.choices if ch.id in ballot.selections.get(c.id, ())
            ),
        )
        for c in election.contests
    )
    nonces = tuple(tuple(elgamal.encode_scalar(r).hex() for r in rs) for rs in ballot.nonces)
    challenge = printouts.Challenge(
        election.name(language), election.mode, ballot.tracking_code, contests, nonces
    )
    return printouts.challenge(challenge, translator(language), paper)

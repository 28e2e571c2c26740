"""The verified count of format-2 ballots: aggregates, their decryptions and the proofs.

At close the terminal adds up the ciphertexts of every option over all ballots (the sum of
exponential-ElGamal ciphertexts encrypts the sum of the marks), decrypts each aggregate with
the key rebuilt from the share cards, and proves each decryption (Chaum-Pedersen). The
protocol's totals are these decryptions. decryption.json, signed by the terminal, carries
them; anyone can recompute the aggregates from ballots.bin and check the proofs with the
precinct's public key alone:

    {"format": "tamga-decryption/2", "election", "precinct", "terminal", "ballots": N,
     "contests": {contest id: {option: {"aggregate": hex(A || B), "count": m,
                                        "proof": hex(challenge || response)}}}}

Options are the contest's choices and "(blank)" where blank is allowed
(encrypted_ballot.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from terminal.ballot.election import Election
from terminal.jsonfmt import Fields, FormatError, canonical_json, load_object
from terminal.tally import elgamal, encrypted_ballot
from terminal.tally.elgamal import Ciphertext, DecryptionProof, GroupError
from terminal.tally.encrypted_ballot import (
    BLANK,
    OPTION_SIZE,
    BallotError,
    Context,
    decryption_context,
    layouts,
)

FORMAT = "tamga-decryption/2"
FILE = "decryption.json"

Aggregates = tuple[tuple[Ciphertext, ...], ...]  # per contest, per option


class DecryptionError(ValueError):
    """A decryption that does not verify; the message names the contest and option."""


@dataclass(frozen=True)
class OptionResult:
    aggregate: Ciphertext
    count: int
    proof: DecryptionProof


@dataclass(frozen=True)
class Decryption:
    election: str
    precinct: str
    terminal: str
    ballots: int
    contests: dict[str, dict[str, OptionResult]]  # contest id -> option -> result

    def to_json(self) -> bytes:
        return canonical_json(
            {
                "format": FORMAT,
                "election": self.election,
                "precinct": self.precinct,
                "terminal": self.terminal,
                "ballots": self.ballots,
                "contests": {
                    cid: {
                        option: {
                            "aggregate": r.aggregate.encode().hex(),
                            "count": r.count,
                            "proof": r.proof.encode().hex(),
                        }
                        for option, r in options.items()
                    }
                    for cid, options in self.contests.items()
                },
            }
        )

    @classmethod
    def from_json(cls, data: bytes, source: str, election: Election) -> Decryption:
        """Read strictly: every contest and option of the election, every point validated."""
        f: Fields = load_object(data, source)
        if f.str("format") != FORMAT:
            raise FormatError(f"{source}: format must be {FORMAT!r}")
        raw = f.obj("contests")
        contests: dict[str, dict[str, OptionResult]] = {}
        if set(raw.value) != {c.id for c in election.contests}:
            raise FormatError(f"{source}: the contests differ from the election's")
        for layout in layouts(election):
            options = raw.obj(layout.contest)
            if set(options.value) != set(layout.options):
                raise FormatError(f"{source}: contest {layout.contest}: options differ")
            results = {}
            for option in layout.options:
                o = options.obj(option)
                where = f"{source}: contest {layout.contest}, option {option}"
                # The aggregate is compared with the one recomputed from the ballots, so its
                # bytes need no check of their own (and with no ballot it is the identity).
                aggregate = o.hex("aggregate", 64)
                try:
                    results[option] = OptionResult(
                        Ciphertext(aggregate[:32], aggregate[32:]),
                        o.int("count", 0),
                        DecryptionProof.decode(o.hex("proof", 64), f"{where}: proof"),
                    )
                except GroupError as exc:
                    raise FormatError(str(exc)) from exc
            contests[layout.contest] = results
        return cls(
            f.str("election"), f.str("precinct"), f.str("terminal"), f.int("ballots", 0), contests
        )

    def votes(self, election: Election) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
        """Votes per choice and blank ballots per contest, as the protocol states them."""
        votes = {
            c.id: {ch.id: self.contests[c.id][ch.id].count for ch in c.choices}
            for c in election.contests
        }
        blank = {
            c.id: self.contests[c.id][BLANK].count if BLANK in self.contests[c.id] else 0
            for c in election.contests
        }
        return votes, blank


def _offsets(election: Election) -> list[list[int]]:
    """Where each option's ciphertext starts in a ballot body, per contest."""
    out, at = [], 0
    for layout in layouts(election):
        out.append([at + i * OPTION_SIZE for i in range(len(layout.options))])
        at += layout.size
    return out


def aggregate(bodies: Sequence[bytes], election: Election) -> Aggregates:
    """The sum of every option's ciphertexts over the ballot bodies. The points are not
    validated here: at close they are the terminal's own signed records, on the host the
    proof check has validated them first."""
    offsets = _offsets(election)
    flat = [o for contest in offsets for o in contest]
    a = [elgamal.IDENTITY] * len(flat)
    b = [elgamal.IDENTITY] * len(flat)
    add = elgamal.add
    for body in bodies:
        for j, o in enumerate(flat):
            a[j] = add(a[j], body[o : o + 32])
            b[j] = add(b[j], body[o + 32 : o + 64])
    sums = iter(Ciphertext(x, y) for x, y in zip(a, b, strict=True))
    return tuple(tuple(next(sums) for _ in contest) for contest in offsets)


class BallotProofError(ValueError):
    """One ballot of many fails: its index among the sorted records, and why."""

    def __init__(self, index: int, problem: BallotError) -> None:
        super().__init__(f"ballot {index}: {problem}")
        self.index = index
        self.problem = problem


def check_ballots(
    bodies: Sequence[bytes], election: Election, ctx: Context, start: int = 0
) -> Aggregates:
    """Validate every point and check every proof of these ballot bodies, then return their
    aggregates. BallotProofError names the first ballot that fails by its index (counted
    from `start`: a process pool gives each worker a run of the sorted records)."""
    for index, body in enumerate(bodies, start):
        try:
            encrypted_ballot.check(encrypted_ballot.decode(body, election), election, ctx)
        except BallotError as exc:
            raise BallotProofError(index, exc) from exc
    return aggregate(bodies, election)


def add_aggregates(parts: Sequence[Aggregates]) -> Aggregates:
    """The sum of partial aggregates (of disjoint sets of ballots)."""
    first, *rest = parts
    return tuple(
        tuple(elgamal.aggregate([ct, *(p[i][j] for p in rest)]) for j, ct in enumerate(contest))
        for i, contest in enumerate(first)
    )


def decrypt(
    aggregates: Aggregates,
    election: Election,
    ctx: Context,
    secret: int,
    ballots: int,
    terminal: str,
) -> Decryption:
    """Decrypt every aggregate with its proof (at close, with the rebuilt key)."""
    if elgamal.public_key(secret) != ctx.public:
        raise DecryptionError("the rebuilt key is not this precinct's ElGamal key")
    logs = elgamal.DiscreteLog(ballots)
    contests = {}
    for layout, sums in zip(layouts(election), aggregates, strict=True):
        results = {}
        for option, ct in zip(layout.options, sums, strict=True):
            try:
                m, proof = elgamal.decrypt(
                    secret, ct, logs, decryption_context(ctx, layout.contest, option)
                )
            except GroupError as exc:
                raise DecryptionError(f"contest {layout.contest}, option {option}: {exc}") from exc
            results[option] = OptionResult(ct, m, proof)
        contests[layout.contest] = results
    return Decryption(ctx.election, ctx.precinct, terminal, ballots, contests)


def verify(
    decryption: Decryption, election: Election, ctx: Context, aggregates: Aggregates
) -> None:
    """Check that each aggregate is the one recomputed from the ballots and that its proof
    shows the stated count; DecryptionError names the first contest and option that fails."""
    for layout, sums in zip(layouts(election), aggregates, strict=True):
        for option, ct in zip(layout.options, sums, strict=True):
            where = f"contest {layout.contest}, option {option}"
            result = decryption.contests[layout.contest][option]
            if result.aggregate != ct:
                raise DecryptionError(f"{where}: the aggregate is not the sum of the ballots")
            if not 0 <= result.count <= decryption.ballots:
                raise DecryptionError(f"{where}: a count beyond the ballots cast")
            if not elgamal.check_decryption(
                ctx.public,
                ct,
                result.count,
                result.proof,
                decryption_context(ctx, layout.contest, option),
            ):
                raise DecryptionError(f"{where}: the decryption proof does not verify")

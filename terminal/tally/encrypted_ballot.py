"""The verifiable ballot (format 2): every option of every contest encrypted with its proof.

Each contest of the election has a fixed list of options: its choices in the election's
order, then a blank mark when the contest may be left blank. Every option holds an
exponential-ElGamal encryption (elgamal.py) of 1 (marked) or 0 with a proof that it is 0 or
1, and each contest one more proof, that the weighted sum of its options is one of the
contest's allowed values:

    one of n (max_selections 1)   weights all 1, allowed {1}: exactly one option, the
                                  against-all choice and the blank mark included
    up to k of n (k > 1)          weights 1, exclusive options (against all, blank) k + 1;
                                  allowed {1..k}, and {k + 1} when there is an exclusive
                                  option: some candidates, or one exclusive option alone

Since every option is proven 0 or 1, a sum of k + 1 can only be one exclusive option and
no candidate. The layout depends only on the election, so every ballot of an election has
the same size:

    body    = for each contest, for each option: A(32) || B(32) || 0/1 proof(128),
              then the contest's proof (64 per allowed value)

Every proof's Fiat-Shamir hash takes the context (this format, election, precinct, mode,
contest, the option or the weights) and the precinct's public key: a proof of another
statement does not verify here. Nothing here says when the ballot was cast or by whom.
docs/verifiable-ballots.md describes every check for a third party's verifier.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from terminal.ballot import selection
from terminal.ballot.election import Contest, Election
from terminal.tally import elgamal
from terminal.tally.elgamal import Ciphertext, GroupError, RangeProof

FORMAT = "tamga-ballot/2"
BLANK = "(blank)"  # not a valid choice id: it cannot collide with one
OPTION_SIZE = 2 * elgamal.POINT_SIZE + elgamal.proof_size(2)
ZERO_ONE = (0, 1)


class BallotError(ValueError):
    """A ballot that is not a valid format-2 ballot; `where` names the contest (and option)."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where


@dataclass(frozen=True)
class ContestLayout:
    """A contest's options in ballot order, their weights and the allowed weighted sums."""

    contest: str
    options: tuple[str, ...]
    weights: tuple[int, ...]
    allowed: tuple[int, ...]

    @property
    def size(self) -> int:
        return len(self.options) * OPTION_SIZE + elgamal.proof_size(len(self.allowed))


KEY_DERIVATION = b"tamga-elgamal-key/2"


def precinct_secret(sealing_private: bytes) -> int:
    """The precinct's ElGamal secret scalar, derived from its X25519 sealing key's private
    half (what the share cards rebuild): SHA-512("tamga-elgamal-key/2" || key) mod L. The
    key ceremony and the cards stay as they are; the package carries the public half."""
    digest = hashlib.sha512(KEY_DERIVATION + sealing_private).digest()
    return int.from_bytes(digest, "little") % elgamal.L or 1


def precinct_public(sealing_private: bytes) -> bytes:
    return elgamal.public_key(precinct_secret(sealing_private))


def contest_layout(contest: Contest) -> ContestLayout:
    options = tuple(c.id for c in contest.choices)
    exclusive = tuple(c.against_all for c in contest.choices)
    if contest.blank_allowed:
        options += (BLANK,)
        exclusive += (True,)
    k = contest.max_selections
    if k == 1:
        return ContestLayout(contest.id, options, (1,) * len(options), (1,))
    weights = tuple(k + 1 if e else 1 for e in exclusive)
    allowed = tuple(range(1, k + 1)) + ((k + 1,) if any(exclusive) else ())
    return ContestLayout(contest.id, options, weights, allowed)


def layouts(election: Election) -> tuple[ContestLayout, ...]:
    return tuple(contest_layout(c) for c in election.contests)


def body_size(election: Election) -> int:
    return sum(layout.size for layout in layouts(election))


@dataclass(frozen=True)
class Context:
    """What every proof of a ballot is bound to, besides its own statement."""

    election: str
    precinct: str
    test: bool
    public: bytes  # the precinct's ElGamal public key

    def bytes_for(self, contest: str, *parts: str) -> bytes:
        fields = (FORMAT, self.election, self.precinct, "test" if self.test else "official")
        return b"".join(
            len(p).to_bytes(4, "big") + p for p in (s.encode() for s in (*fields, contest, *parts))
        )


def selection_context(ctx: Context, contest: str, option: str) -> bytes:
    return ctx.bytes_for(contest, "selection", option)


def contest_context(ctx: Context, layout: ContestLayout) -> bytes:
    return ctx.bytes_for(layout.contest, "contest", ",".join(map(str, layout.weights)))


def decryption_context(ctx: Context, contest: str, option: str) -> bytes:
    return ctx.bytes_for(contest, "decryption", option)


@dataclass(frozen=True)
class EncryptedContest:
    selections: tuple[Ciphertext, ...]
    proofs: tuple[RangeProof, ...]
    sum_proof: RangeProof


@dataclass(frozen=True)
class EncryptedBallot:
    contests: tuple[EncryptedContest, ...]

    def encode(self) -> bytes:
        out = []
        for contest in self.contests:
            for ct, proof in zip(contest.selections, contest.proofs, strict=True):
                out += [ct.encode(), proof.encode()]
            out.append(contest.sum_proof.encode())
        return b"".join(out)

    def digest(self) -> bytes:
        """SHA-256 of the encoding: what a voter's tracking code is made from."""
        return hashlib.sha256(self.encode()).digest()


Marks = tuple[tuple[int, ...], ...]  # per contest, per option: 1 marked, 0 not
Nonces = tuple[tuple[int, ...], ...]  # per contest, per option: the encryption nonce


def marks(election: Election, selections: dict[str, tuple[str, ...]]) -> Marks:
    """The 0/1 value of every option; BallotError for selections the contest does not allow."""
    unknown = set(selections) - {c.id for c in election.contests}
    if unknown:
        raise BallotError("", f"selections for unknown contests {sorted(unknown)}")
    out = []
    for contest, layout in zip(election.contests, layouts(election), strict=True):
        chosen = selections.get(contest.id, ())
        problem = selection.problem(contest, chosen)
        if problem is not None:
            raise BallotError(contest.id, f"these choices are not a valid vote ({problem.value})")
        values = tuple(int(o in chosen) if o != BLANK else int(not chosen) for o in layout.options)
        # The rule above and the layout's allowed sums describe the same votes.
        if sum(w * v for w, v in zip(layout.weights, values, strict=True)) not in layout.allowed:
            raise BallotError(contest.id, "these choices break the contest's limits")
        out.append(values)
    return tuple(out)


def fresh_nonces(election: Election) -> Nonces:
    """One nonce per option, from the operating system's CSPRNG."""
    return tuple(
        tuple(elgamal.random_scalar() for _ in layout.options) for layout in layouts(election)
    )


def encrypt(
    election: Election,
    ctx: Context,
    selections: dict[str, tuple[str, ...]],
    nonces: Nonces | None = None,
) -> tuple[EncryptedBallot, Nonces]:
    """Encrypt and prove a ballot; with `nonces` (a challenged ballot's), the same
    ciphertexts again. Returns the ballot and the nonces it used (for a challenge only:
    a cast ballot's nonces are forgotten)."""
    values = marks(election, selections)
    nonces = nonces if nonces is not None else fresh_nonces(election)
    contests = []
    for layout, vals, rs in zip(layouts(election), values, nonces, strict=True):
        if len(rs) != len(vals):
            raise BallotError(layout.contest, "one nonce per option is needed")
        cts = tuple(elgamal.encrypt(ctx.public, v, r) for v, r in zip(vals, rs, strict=True))
        proofs = tuple(
            elgamal.prove_range(
                ctx.public, ct, v, r, ZERO_ONE, selection_context(ctx, layout.contest, option)
            )
            for ct, v, r, option in zip(cts, vals, rs, layout.options, strict=True)
        )
        total, nonce, value = _weighted(layout, cts, rs, vals)
        sum_proof = elgamal.prove_range(
            ctx.public, total, value, nonce, layout.allowed, contest_context(ctx, layout)
        )
        contests.append(EncryptedContest(cts, proofs, sum_proof))
    return EncryptedBallot(tuple(contests)), nonces


def _weighted(
    layout: ContestLayout, cts: Sequence[Ciphertext], rs: Sequence[int], vals: Sequence[int]
) -> tuple[Ciphertext, int, int]:
    total = weighted_sum(layout, cts)
    nonce = sum(w * r for w, r in zip(layout.weights, rs, strict=True)) % elgamal.L
    value = sum(w * v for w, v in zip(layout.weights, vals, strict=True))
    return total, nonce, value


def weighted_sum(layout: ContestLayout, cts: Sequence[Ciphertext]) -> Ciphertext:
    """The encryption of the contest's weighted sum, which its sum proof is about."""
    return elgamal.aggregate(
        [ct if w == 1 else ct.times(w) for ct, w in zip(cts, layout.weights, strict=True)]
    )


def reencrypt_check(
    election: Election,
    ctx: Context,
    ballot: EncryptedBallot,
    selections: dict[str, tuple[str, ...]],
    nonces: Nonces,
) -> bool:
    """Whether a challenged ballot's nonces re-encrypt these choices to its ciphertexts."""
    try:
        values = marks(election, selections)
    except BallotError:
        return False
    for contest, vals, rs in zip(ballot.contests, values, nonces, strict=True):
        if len(rs) != len(vals) or len(contest.selections) != len(vals):
            return False
        for ct, v, r in zip(contest.selections, vals, rs, strict=True):
            if not elgamal.reencrypt_check(ctx.public, ct, v, r):
                return False
    return True


def decode(body: bytes, election: Election) -> EncryptedBallot:
    """Read a ballot body, validating every point and scalar; BallotError names the part."""
    if len(body) != body_size(election):
        raise BallotError("", f"a ballot of this election is {body_size(election)} bytes")
    at = 0
    contests = []
    for layout in layouts(election):
        cts, proofs = [], []
        for option in layout.options:
            where = f"contest {layout.contest}, option {option}"
            try:
                cts.append(Ciphertext.decode(body[at : at + 64], "ciphertext"))
                proofs.append(RangeProof.decode(body[at + 64 : at + OPTION_SIZE], 2, "0/1 proof"))
            except GroupError as exc:
                raise BallotError(where, str(exc)) from exc
            at += OPTION_SIZE
        size = elgamal.proof_size(len(layout.allowed))
        where = f"contest {layout.contest}"
        try:
            sum_proof = RangeProof.decode(body[at : at + size], len(layout.allowed), "limits proof")
        except GroupError as exc:
            raise BallotError(where, str(exc)) from exc
        at += size
        contests.append(EncryptedContest(tuple(cts), tuple(proofs), sum_proof))
    return EncryptedBallot(tuple(contests))


def check(ballot: EncryptedBallot, election: Election, ctx: Context) -> None:
    """Check every proof of a decoded ballot; BallotError names the first that fails."""
    for layout, contest in zip(layouts(election), ballot.contests, strict=True):
        for option, ct, proof in zip(
            layout.options, contest.selections, contest.proofs, strict=True
        ):
            if not elgamal.check_range(
                ctx.public, ct, ZERO_ONE, proof, selection_context(ctx, layout.contest, option)
            ):
                raise BallotError(
                    f"contest {layout.contest}, option {option}", "the 0/1 proof does not verify"
                )
        total = weighted_sum(layout, contest.selections)
        if not elgamal.check_range(
            ctx.public, total, layout.allowed, contest.sum_proof, contest_context(ctx, layout)
        ):
            raise BallotError(
                f"contest {layout.contest}", "the proof of the contest's limits does not verify"
            )

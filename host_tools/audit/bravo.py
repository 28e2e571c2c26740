"""BRAVO: the ballot-polling risk-limiting audit of Lindeman, Stark and Yates (2012).

For each reported winner w and loser l of a contest, with reported shares p_w and p_l,
s = p_w / (p_w + p_l). Each sampled ballot (drawn with replacement) multiplies the test
statistic T_wl by s / 0.5 if it shows w and not l, by (1 - s) / 0.5 if it shows l and not
w, and leaves it alone otherwise. When every pair's T reaches 1 / alpha, the paper confirms
the reported outcome at risk limit alpha; the measured risk of a pair is 1 / max T so far.
A pair reported tied (s = 1/2) can never be confirmed: that contest goes to a full hand
count. Works for one-of-n and up-to-k contests (k winners) alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass
class Pair:
    winner: str
    loser: str
    share: float  # s: the winner's reported share of the two
    statistic: float = 1.0
    peak: float = 1.0

    @property
    def risk(self) -> float:
        return min(1.0, 1.0 / self.peak)


@dataclass
class ContestAudit:
    """The running BRAVO test of one contest."""

    contest: str
    winners: tuple[str, ...]
    alpha: float
    pairs: list[Pair] = field(default_factory=list)
    sampled: int = 0

    @classmethod
    def start(
        cls, contest: str, votes: Mapping[str, int], seats: int, alpha: float
    ) -> ContestAudit:
        """The audit of a contest from its reported votes per choice and number of seats."""
        if not 0 < alpha < 1:
            raise ValueError("the risk limit must lie strictly between 0 and 1")
        ranked = sorted(votes, key=lambda c: (-votes[c], c))
        winners, losers = ranked[:seats], ranked[seats:]
        audit = cls(contest, tuple(winners), alpha)
        for w in winners:
            for loser in losers:
                total = votes[w] + votes[loser]
                share = votes[w] / total if total else 0.5
                audit.pairs.append(Pair(w, loser, share))
        return audit

    def observe(self, marked: frozenset[str] | None) -> None:
        """One sampled ballot: the choices marked in this contest, or None for a slip that
        could not be read, which counts against every winner."""
        self.sampled += 1
        for pair in self.pairs:
            if pair.share <= 0.5:
                continue  # a reported tie (or worse) gathers no evidence
            for_winner = marked is not None and pair.winner in marked
            for_loser = marked is None or pair.loser in marked
            if for_winner and not for_loser:
                pair.statistic *= pair.share / 0.5
            elif for_loser and not for_winner:
                pair.statistic *= (1 - pair.share) / 0.5
            pair.peak = max(pair.peak, pair.statistic)

    @property
    def confirmed(self) -> bool:
        return all(pair.peak >= 1 / self.alpha for pair in self.pairs)

    @property
    def risk(self) -> float:
        """The measured risk: the largest over the pairs (1.0 before any evidence)."""
        return max((pair.risk for pair in self.pairs), default=0.0)

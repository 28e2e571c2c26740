"""Which slips to pull: Rivest's SHA-256 sampler, reproducible by anyone from the seed.

The seed is a public string fixed after the results are published (e.g. twenty dice rolls
made in front of observers). Draw i (1, 2, 3, ...) is the ballot

    int(SHA-256("<seed>,<i>"), 16) mod N + 1

of the N ballots of the manifest: with replacement, so a ballot may come up twice and then
counts twice. `printf '%s' '<seed>,1' | sha256sum` gives the first draw by hand; the bias
of taking a 256-bit hash mod N is below 2^-200 for any N an election has.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

MIN_SEED_LENGTH = 10  # short seeds can be searched for a favourable sample


class SeedError(ValueError):
    """A seed too short to be unpredictable."""


def check_seed(seed: str) -> str:
    """The seed, stripped; SeedError if it has fewer than MIN_SEED_LENGTH characters."""
    seed = seed.strip()
    if len(seed) < MIN_SEED_LENGTH or "," in seed:
        raise SeedError(
            f"the seed must be at least {MIN_SEED_LENGTH} characters (e.g. 20 dice rolls) "
            "and hold no comma"
        )
    return seed


def draw(seed: str, index: int, population: int) -> int:
    """Ballot number (1..population) of draw `index` (1-based)."""
    if population < 1 or index < 1:
        raise ValueError("a draw needs a ballot to draw and an index from 1")
    digest = hashlib.sha256(f"{seed},{index}".encode()).hexdigest()
    return int(digest, 16) % population + 1


def draws(seed: str, population: int) -> Iterator[int]:
    """Every draw in order: ballot numbers for draw 1, 2, 3, ..."""
    index = 0
    while True:
        index += 1
        yield draw(seed, index, population)

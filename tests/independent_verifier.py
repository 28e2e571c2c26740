"""A second verifier of format-2 bundles, written from docs/verifiable-ballots.md alone.

It shares no code with terminal/: the Ed25519 arithmetic is pure Python from RFC 8032's
formulas (extended coordinates, section 5.1), JSON is read with the standard library. It is
slow (a scalar multiplication takes milliseconds) and meant for small bundles: its point is
that the document is enough to write one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)

Point = tuple[int, int, int, int]  # extended coordinates X, Y, Z, T
NEUTRAL: Point = (0, 1, 1, 0)


class Refused(Exception):
    """The bundle fails a check of the document."""


def _add(p: Point, q: Point) -> Point:
    a = (p[1] - p[0]) * (q[1] - q[0]) % P
    b = (p[1] + p[0]) * (q[1] + q[0]) % P
    c = 2 * p[3] * q[3] * D % P
    d = 2 * p[2] * q[2] % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _neg(p: Point) -> Point:
    return (-p[0] % P, p[1], p[2], -p[3] % P)


def _mul(k: int, p: Point) -> Point:
    q = NEUTRAL
    while k:
        if k & 1:
            q = _add(q, p)
        p = _add(p, p)
        k >>= 1
    return q


def _equal(p: Point, q: Point) -> bool:
    return (p[0] * q[2] - q[0] * p[2]) % P == 0 and (p[1] * q[2] - q[1] * p[2]) % P == 0


def _decode_raw(data: bytes) -> Point | None:
    """RFC 8032 5.1.3, refusing non-canonical y."""
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= P:
        return None
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    if (v * x * x - u) % P:
        x = x * SQRT_M1 % P
        if (v * x * x - u) % P:
            return None
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = P - x
    return (x, y, 1, x * y % P)


def encode(p: Point) -> bytes:
    zi = pow(p[2], P - 2, P)
    x, y = p[0] * zi % P, p[1] * zi % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def point(data: bytes, where: str) -> Point:
    """A validated point: canonical, not of small order, in the prime-order subgroup."""
    p = _decode_raw(data)
    if p is None:
        raise Refused(f"{where}: not a point")
    if _equal(_mul(8, p), NEUTRAL):
        raise Refused(f"{where}: a point of small order")
    if not _equal(_mul(L, p), NEUTRAL):
        raise Refused(f"{where}: a point with a small-order component")
    return p


def scalar(data: bytes, where: str) -> int:
    value = int.from_bytes(data, "little")
    if len(data) != 32 or value >= L:
        raise Refused(f"{where}: not a reduced scalar")
    return value


G = _decode_raw((4 * pow(5, P - 2, P) % P).to_bytes(32, "little"))
assert G is not None


def challenge(*parts: bytes) -> int:
    h = hashlib.sha512(b"tamga-elgamal/2")
    for part in parts:
        h.update(len(part).to_bytes(4, "big") + part)
    return int.from_bytes(h.digest(), "little") % L


def context(election: str, precinct: str, mode: str, contest: str, kind: str, detail: str) -> bytes:
    fields = ("tamga-ballot/2", election, precinct, mode, contest, kind, detail)
    return b"".join(len(f.encode()).to_bytes(4, "big") + f.encode() for f in fields)


def check_set(
    key: Point, a: Point, b: Point, values: list[int], proof: bytes, ctx: bytes, where: str
) -> None:
    pairs = [
        (scalar(proof[i : i + 32], where), scalar(proof[i + 32 : i + 64], where))
        for i in range(0, len(proof), 64)
    ]
    commitments = []
    for v, (c, z) in zip(values, pairs, strict=True):
        shifted = _add(b, _neg(_mul(v, G)))
        commitments += [
            encode(_add(_mul(z, G), _neg(_mul(c, a)))),
            encode(_add(_mul(z, key), _neg(_mul(c, shifted)))),
        ]
    statement = b"".join(v.to_bytes(4, "big") for v in values)
    expected = challenge(ctx, encode(key), encode(a), encode(b), statement, *commitments)
    if sum(c for c, _ in pairs) % L != expected:
        raise Refused(f"{where}: the proof does not verify")


def layout(contest: dict) -> tuple[list[str], list[int], list[int]]:  # type: ignore[type-arg]
    options = [c["id"] for c in contest["choices"]]
    exclusive = [bool(c.get("against_all")) for c in contest["choices"]]
    if contest.get("blank_allowed"):
        options.append("(blank)")
        exclusive.append(True)
    k = contest.get("max_selections", 1)
    if k == 1:
        return options, [1] * len(options), [1]
    weights = [k + 1 if e else 1 for e in exclusive]
    return options, weights, list(range(1, k + 1)) + ([k + 1] if any(exclusive) else [])


def verify(package: Path, bundle: Path) -> dict[str, dict[str, int]]:
    """Check every ballot and every decryption; return the proven counts per contest."""
    election = json.loads((package / "election.json").read_bytes())
    manifest = json.loads((bundle / "manifest.json").read_bytes())
    precinct = next(p for p in election["precincts"] if p["code"] == manifest["precinct"])
    key = point(bytes.fromhex(precinct["elgamal_key"]), "elgamal_key")
    ids = (election["id"], precinct["code"], election["mode"])
    contests = [(c["id"], *layout(c)) for c in election["contests"]]
    size = 5 + sum(192 * len(o) + 64 * len(v) for _, o, _, v in contests) + 64
    data = (bundle / "ballots.bin").read_bytes()
    if len(data) % size:
        raise Refused("ballots.bin: not whole records")
    records = [data[i : i + size] for i in range(0, len(data), size)]
    sums = {cid: {o: (NEUTRAL, NEUTRAL) for o in options} for cid, options, _, _ in contests}
    for n, record in enumerate(records):
        if record[:5] != b"TMGB\x02":
            raise Refused(f"ballot {n}: not a format-2 record")
        at = 5
        for cid, options, weights, allowed in contests:
            total = (NEUTRAL, NEUTRAL)
            for option, w in zip(options, weights, strict=True):
                where = f"ballot {n}, contest {cid}, option {option}"
                a = point(record[at : at + 32], where)
                b = point(record[at + 32 : at + 64], where)
                ctx = context(*ids, cid, "selection", option)
                check_set(key, a, b, [0, 1], record[at + 64 : at + 192], ctx, where)
                total = (_add(total[0], _mul(w, a)), _add(total[1], _mul(w, b)))
                sa, sb = sums[cid][option]
                sums[cid][option] = (_add(sa, a), _add(sb, b))
                at += 192
            ctx = context(*ids, cid, "contest", ",".join(map(str, weights)))
            proof = record[at : at + 64 * len(allowed)]
            check_set(key, *total, allowed, proof, ctx, f"ballot {n}, contest {cid}")
            at += 64 * len(allowed)
    decrypted = json.loads((bundle / "decryption.json").read_bytes())
    if decrypted["ballots"] != len(records):
        raise Refused("decryption.json: another number of ballots")
    counts: dict[str, dict[str, int]] = {}
    for cid, options, _, _ in contests:
        counts[cid] = {}
        for option in options:
            where = f"decryption.json: contest {cid}, option {option}"
            entry = decrypted["contests"][cid][option]
            sa, sb = sums[cid][option]
            if bytes.fromhex(entry["aggregate"]) != encode(sa) + encode(sb):
                raise Refused(f"{where}: not the sum of the ballots")
            m = entry["count"]
            if not 0 <= m <= len(records):
                raise Refused(f"{where}: count out of range")
            raw = bytes.fromhex(entry["proof"])
            c, z = scalar(raw[:32], where), scalar(raw[32:], where)
            d = _add(sb, _neg(_mul(m, G)))
            x = encode(_add(_mul(z, G), _neg(_mul(c, key))))
            y = encode(_add(_mul(z, sa), _neg(_mul(c, d))))
            ctx = context(*ids, cid, "decryption", option)
            if challenge(ctx, encode(key), encode(sa), encode(sb), m.to_bytes(8, "big"), x, y) != c:
                raise Refused(f"{where}: the decryption proof does not verify")
            counts[cid][option] = m
    protocol = json.loads((bundle / "protocol.json").read_bytes())
    for cid, *_ in contests:
        stated = protocol["contests"][cid]
        for choice, votes in stated["votes"].items():
            if counts[cid][choice] != votes:
                raise Refused(f"protocol.json: contest {cid}: {choice} is not the proven count")
        if stated["blank"] != counts[cid].get("(blank)", 0):
            raise Refused(f"protocol.json: contest {cid}: blank is not the proven count")
    return counts

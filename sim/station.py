"""The terminals of one simulated polling station, and the voters who try to vote twice.

A station is one combined terminal; or an identification desk with N voting booths
(`--roles split --booths N`); or N combined terminals (`--terminals N`), each holding its
part of the register from the package. Every terminal is its own process with its own
devices and run directory, and exports its own bundle:

    bundle/                  the combined terminal, or booth 1
    bundle-identify/         the desk
    bundle-booth-2/ ...      booths 2..N
    bundle-terminal-2/ ...   combined terminals 2..N

The cheats: with `--replay-coupons K`, K voters who voted present their used coupon again at
another booth; with `--double-votes K`, K voters who voted present their document at another
combined terminal. Each attempt must end on that terminal's own refusal screen; each is
one line of voters.jsonl with "replay" (or "double") true and its outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from terminal.ballot.election import Role

if TYPE_CHECKING:
    from sim.day import Day, SimTerminal

PRECINCT = "1234"
REFUSAL_SCREENS = {"replay": "wrong_booth", "double": "other_terminal"}


def terminal_id(number: int) -> str:
    return f"T-{PRECINCT}-{number:02d}"


@dataclass(frozen=True)
class Place:
    """Where one terminal runs: its id, role, run directory, board config and bundle."""

    terminal: str
    role: Role
    root: Path
    board: str  # a file of board_configs/, or a board config written for this terminal
    bundle: Path


def layout(out: Path, roles: str, booths: int, terminals: int, combined: str) -> list[Place]:
    """The terminals of the station: the desk first, then the booths; or the combined ones
    (`combined`: their board config in board_configs/)."""
    boards = Path(__file__).resolve().parent.parent / "board_configs"
    if roles == "split":
        places = [
            Place(
                terminal_id(1),
                Role.IDENTIFY,
                out / "identify",
                "sim-identify.toml",
                out / "bundle-identify",
            ),
            Place(terminal_id(2), Role.VOTE, out, "sim-vote.toml", out / "bundle"),
        ]
        for number in range(2, booths + 1):
            root = out / f"booth-{number}"
            board = _board(boards / "sim-vote.toml", root, f"../bundle-booth-{number}")
            places.append(
                Place(
                    terminal_id(number + 1), Role.VOTE, root, board, out / f"bundle-booth-{number}"
                )
            )
        return places
    places = [Place(terminal_id(1), Role.COMBINED, out, combined, out / "bundle")]
    for number in range(2, terminals + 1):
        root = out / f"terminal-{number}"
        board = _board(boards / combined, root, f"../bundle-terminal-{number}")
        places.append(
            Place(
                terminal_id(number), Role.COMBINED, root, board, out / f"bundle-terminal-{number}"
            )
        )
    return places


def _board(template: Path, root: Path, export: str) -> str:
    """A copy of a simulated board's config exporting to `export` (relative to `root`)."""
    root.mkdir(parents=True, exist_ok=True)
    lines = template.read_text().splitlines()
    changed = [f'export = "{export}"' if line.startswith("export = ") else line for line in lines]
    board = root / "board.toml"
    board.write_text("\n".join(changed) + "\n")
    return str(board)


@dataclass
class Cheat:
    """One attempt to vote a second time: a used coupon at another booth ("replay"), or a
    voter's document at another combined terminal ("double")."""

    kind: str
    voter: int
    terminal: str = ""
    outcome: str = ""  # the screen the terminal answered with

    def line(self) -> dict[str, object]:
        return {
            "voter": self.voter,
            self.kind: True,
            "terminal": self.terminal,
            "outcome": "refused" if self.outcome == REFUSAL_SCREENS[self.kind] else self.outcome,
            "screen": self.outcome,
        }


def voting_terminal(day: Day, voter: int) -> SimTerminal:
    """Where a voter is served: the booth their coupon names, or the combined terminal whose
    part of the register holds them (the eligible voters come first in the register)."""
    outcome = day.outcomes[voter]
    if day.roles == "split":
        assert outcome.coupon is not None
        return day.by_id[outcome.coupon.split(":")[4]]
    for entry in day.election.marking_terminals(day.precinct):
        if entry.register_part is None or voter in entry.register_part:
            return day.by_id[entry.id]
    raise AssertionError(f"voter {voter} is on no terminal's part of the register")


def identifying_terminal(day: Day, voter: int) -> SimTerminal:
    """Where a voter shows their document: the desk, or their own combined terminal."""
    return day.desk if day.roles == "split" else voting_terminal(day, voter)


def attempt(day: Day, cheat: Cheat) -> None:
    """The cheat tries; the terminal's answer is recorded. Run again after a power cut."""
    from sim.day import DayFailed  # sim.day imports this module

    if cheat.outcome:
        return
    if not cheat.terminal:
        if day.outcomes[cheat.voter].outcome != "cast":
            # This voter never voted (referred to the commission): another one who did tries.
            taken = {c.voter for c in day.cheats if c.terminal}
            voted = [o.voter for o in day.outcomes if o.outcome == "cast" and o.voter not in taken]
            if not voted:
                raise DayFailed(f"no voter has voted yet to try a {cheat.kind}")
            cheat.voter = day.rng.choice(voted)
        own = voting_terminal(day, cheat.voter)
        pool = day.booths if cheat.kind == "replay" else day.terminals
        cheat.terminal = day.rng.choice([t for t in pool if t is not own]).terminal_id
    terminal = day.by_id[cheat.terminal]
    terminal.screen("idle")
    outcome = day.outcomes[cheat.voter]
    scan = outcome.coupon if cheat.kind == "replay" else outcome.document
    assert scan is not None
    expected = REFUSAL_SCREENS[cheat.kind]
    shown = terminal.scan(scan, expected, "refused", "language", "voter_found", "reissue_offer")
    cheat.outcome = shown
    if shown not in (expected, "refused"):
        raise DayFailed(
            f"{cheat.terminal}: voter {cheat.voter}'s {cheat.kind} attempt was not refused "
            f"(screen {shown})"
        )
    after = terminal.tap("ok")
    terminal.screen("idle", after=after)

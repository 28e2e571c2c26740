"""A whole simulated polling day, driven like the people at a polling station would.

The commission makes the election with the host tools; the terminal runs as its own
process (`python -m terminal --board board_configs/sim.toml`), talking to simulated
devices over real channels: the scanner and the printer on pseudo-terminals, the touch
panel over Unix sockets. The runner acts as the chair, the poll worker and the voters: it
scans documents and cards, taps what is on the screen, and collects every printout. At
the end the host tools verify and tally the exported bundle, and the tally is checked
against what the voters chose, counting only voters whose slip was printed.

With power cuts, the terminal is killed with SIGKILL at random moments and restarted; a
voter who was cut off is helped again as a poll worker would.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import random
import signal
import subprocess
import sys
import time
import tty
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageOps

from host_tools import commission
from host_tools.commission import ElectionSpec, PrecinctSpec, TerminalRegistration
from sim import synthetic
from sim.panel import SimulatedPanel
from sim.printer import PrintedPage, SimulatedPrinter
from terminal.app.identity import load_encryption_public
from terminal.app.printouts import Paper
from terminal.app.station import render_slip
from terminal.ballot.election import Election, Mode, Role
from terminal.trust.signing import VerifyKey

REPO = Path(__file__).resolve().parent.parent
BOARD = REPO / "board_configs" / "sim.toml"
TERMINAL_ID = "T-1234-01"
PRECINCT = "1234"
SCREEN_TIMEOUT = 60.0
SCAN_TRIES = 3
SCAN_PATIENCE = 5.0
LANGUAGES = ("ky", "ru", "kk", "en")


class DayFailed(Exception):
    """The day did not go as a polling station expects; the message says where."""


@dataclass
class VoterOutcome:
    voter: int
    outcome: str = "not cast"
    slip: str | None = None
    selections: dict[str, list[str]] = field(default_factory=dict)
    language: str = ""


@dataclass(frozen=True)
class Attempt:
    """One person at the poll worker's desk: an eligible voter (index), or a refused try."""

    kind: str  # "vote", "unknown", "again"
    voter: int = -1
    number: str = ""


class PowerCut(Exception):
    """The terminal was killed on purpose in the middle of an action."""


class Day:
    def __init__(
        self, voters: int, seed: int, out: Path, choices: Path | None, power_cuts: int
    ) -> None:
        self.rng = random.Random(seed)
        self.voters = voters
        self.out = out
        self.power_cuts = power_cuts
        self.scripted = _read_choices(choices) if choices else []
        self.outcomes = [VoterOutcome(i) for i in range(voters)]
        self.pages: queue.Queue[PrintedPage] = queue.Queue()
        self.printout_count = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.actions = 0
        self.cut_at: set[int] = set()
        self.cuts_done = 0
        self.timings: dict[str, float] = {}
        self.current: VoterOutcome | None = None
        self.restart_pages: list[Image.Image] = []
        self.protocol_printed = False

    # --- the commission's office ------------------------------------------------------

    def prepare(self) -> None:
        """Create the election with the host tools, provision and register the terminal."""
        out = self.out
        office = out / "office"
        office.mkdir(parents=True, exist_ok=True)
        key = commission.create_commission_key(office / "commission.key.pem")
        key.public.save(office / "commission.pub.pem")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "terminal",
                "provision",
                "--data",
                str(out / "data"),
                "--id",
                TERMINAL_ID,
                "--commission-key",
                str(office / "commission.pub.pem"),
            ],
            check=True,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
        )
        offset = dt.timedelta(hours=6)
        today = (dt.datetime.now(dt.UTC) + offset).date()
        self.register = synthetic.make_register(PRECINCT, self.voters, today, self.rng)
        spec = ElectionSpec(
            id=f"KG-{today:%Y%m%d}-PRES",
            names=synthetic.ELECTION_NAMES,
            date=today,
            timezone="+06:00",
            polls_open=dt.time(8),
            polls_close=dt.time(20),
            mode=Mode.OFFICIAL,
            country="KG",
            contests=(synthetic.president_contest(),),
        )
        terminal_key = VerifyKey.load(out / "data" / "terminal.pub.pem")
        encryption_key = load_encryption_public(
            (out / "data" / "terminal.enc.pub.pem").read_bytes(), "terminal.enc.pub.pem"
        )
        created = commission.build_election(
            spec,
            [PrecinctSpec(PRECINCT, synthetic.PRECINCT_NAMES, self.register)],
            threshold=2,
            share_count=3,
            terminals=[
                TerminalRegistration(
                    TERMINAL_ID, PRECINCT, Role.COMBINED, terminal_key, encryption_key
                )
            ],
        )
        commission.write_commission_outputs(out, created, key)
        self.election: Election = created.election
        secrets = created.secrets[PRECINCT]
        self.chair_card = secrets.chair_card.payload()
        self.chair_pin = secrets.chair_pin
        self.share_cards = [card.payload() for card in secrets.share_cards]

    # --- devices and the terminal process ------------------------------------------------

    def start_devices(self) -> None:
        dev = self.out / "dev"
        dev.mkdir(parents=True, exist_ok=True)
        self.printer = SimulatedPrinter(self.pages.put, width=384)
        self.scanner_master, scanner_slave = os.openpty()
        tty.setraw(scanner_slave)
        for name, target in (
            ("printer", self.printer.port),
            ("scanner", os.ttyname(scanner_slave)),
        ):
            link = dev / name
            link.unlink(missing_ok=True)
            link.symlink_to(target)
        # The simulator keeps its end of the scanner open across terminal restarts.
        self.scanner_slave = scanner_slave
        self.panel = SimulatedPanel(dev)
        self.panel.save_distinct(self.out / "screens")

    def start_terminal(self, first: bool = False) -> None:
        command = [sys.executable, "-m", "terminal", "--board", str(BOARD), "--data", "data"]
        if first:
            command += ["--package", "package"]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        log = (self.out / "terminal.stderr").open("ab")
        self.process = subprocess.Popen(command, cwd=self.out, env=env, stdout=log, stderr=log)
        log.close()

    def kill_terminal(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.panel.close()
        self.printer.close()
        os.close(self.scanner_master)
        os.close(self.scanner_slave)

    # --- acting on the terminal --------------------------------------------------------------

    def screen(self, *names: str, after: int = -1, timeout: float = SCREEN_TIMEOUT) -> str:
        """Wait for one of the named screens (newer than frame `after`); return its name."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise DayFailed(
                    f"the terminal exited with {self.process.returncode}; "
                    f"see {self.out / 'terminal.stderr'}"
                )
            try:
                frame = self.panel.wait_for(
                    lambda f: (
                        (
                            f.name in names
                            or any(n.endswith("*") and f.name.startswith(n[:-1]) for n in names)
                        )
                        and self.panel.frame_count > after
                    ),
                    timeout=0.5,
                )
                return frame.name
            except TimeoutError:
                if time.monotonic() > deadline:
                    shown = self.panel.frame.name if self.panel.frame else "nothing"
                    raise DayFailed(f"waited for {names}, the terminal shows {shown}") from None

    def _maybe_cut(self, window: float = 0.25) -> None:
        """Cut the power now if this action was drawn, at a random moment within `window`."""
        self.actions += 1
        if self.actions in self.cut_at:
            time.sleep(self.rng.uniform(0.0, window))
            self.kill_terminal()
            self.cuts_done += 1
            raise PowerCut

    def scan(self, data: str, *expect: str) -> str:
        """Scan, and scan again if the terminal shows nothing new, as a poll worker would: a
        scan made while the terminal restarts is lost (opening the port clears its input)."""
        for _ in range(SCAN_TRIES):
            before = self.panel.frame_count
            os.write(self.scanner_master, data.encode() + b"\r")
            self._maybe_cut()
            try:
                return self.screen(*expect, after=before, timeout=SCAN_PATIENCE)
            except DayFailed:
                continue
        raise DayFailed(f"no answer to a scan after {SCAN_TRIES} tries; expected {expect}")

    def tap(self, target: str) -> int:
        before = self.panel.frame_count
        self.panel.tap_target(target)
        # Storing a ballot and printing its slip happens within some 30 ms of "cast": the
        # moments that matter most, so a cut drawn there falls inside them.
        self._maybe_cut(0.03 if target == "cast" else 0.25)
        return before

    def take_page(self, kind: str, timeout: float = SCREEN_TIMEOUT) -> str:
        """Wait for the next printout and file it as `NNNN-kind.png`; return its file name."""
        try:
            page = self.pages.get(timeout=timeout)
        except queue.Empty:
            raise DayFailed(f"no {kind} printout came out of the printer") from None
        return self._file(page.image, kind)

    def _file(self, image: Image.Image, kind: str) -> str:
        self.printout_count += 1
        directory = self.out / "printouts"
        directory.mkdir(parents=True, exist_ok=True)
        name = f"{self.printout_count:04d}-{kind}.png"
        image.save(directory / name)
        return name

    def chair(self) -> None:
        """The chair scans the chair card and types the PIN."""
        self.scan(self.chair_card, "chair_pin")
        for digit in self.chair_pin:
            after = self.tap(f"digit-{digit}")
            self.screen("chair_pin", after=after)
        self.tap("ok")

    # --- the day ------------------------------------------------------------------------------

    def schedule(self) -> list[Attempt]:
        attempts = [Attempt("vote", i) for i in range(self.voters)]
        extra = max(1, self.voters // 20)
        for _ in range(extra):
            attempts.insert(
                self.rng.randrange(len(attempts) + 1),
                Attempt("unknown", number=synthetic.unknown_pin(self.register, self.rng)),
            )
        for _ in range(extra):
            # A voter who comes back: placed after their own vote.
            voter = self.rng.randrange(self.voters)
            position = next(
                i for i, a in enumerate(attempts) if a.kind == "vote" and a.voter == voter
            )
            attempts.insert(self.rng.randint(position + 1, len(attempts)), Attempt("again", voter))
        return attempts

    def choices_of(self, voter: int) -> dict[str, list[str]]:
        if voter < len(self.scripted):
            return self.scripted[voter]
        return {c.id: [self.rng.choice(c.choices).id] for c in self.election.contests}

    def run(self) -> dict[str, object]:
        started = time.monotonic()
        self.prepare()
        self.timings["prepare_s"] = time.monotonic() - started
        attempts = self.schedule()
        # The actions of a day without cuts: the chair's card, PIN and OK at opening and at
        # closing, the close button and two share cards, and per person at the desk the scans
        # and taps below. Cuts fall among them; a cut makes actions repeat, so all are reached.
        contests = len(self.election.contests)
        voting = sum(5 + 2 * contests if a.kind == "vote" else 2 for a in attempts)
        total_actions = 2 * (2 + len(self.chair_pin)) + 1 + 2 + voting
        if self.power_cuts > total_actions:
            raise DayFailed(f"at most {total_actions} power cuts fit a day of {self.voters} voters")
        self.cut_at = set(self.rng.sample(range(1, total_actions + 1), self.power_cuts))
        self.start_devices()
        try:
            self.start_terminal(first=True)
            self.screen("ready")
            self.take_page("setup-report")
            self.guarded(self.open_polls)
            voting = time.monotonic()
            for attempt in attempts:
                self.guarded(lambda a=attempt: self.attend(a))  # type: ignore[misc]
            self.timings["voting_s"] = time.monotonic() - voting
            self.guarded(self.close_polls)
        finally:
            self.stop()
        self.write_voters()
        self.timings["day_s"] = time.monotonic() - started
        return self.timings

    def guarded(self, step: object) -> None:
        """Run a step; after a power cut restart the terminal and run what is left again."""
        assert callable(step)
        while True:
            try:
                step()
                return
            except PowerCut:
                self.restart()

    def restart(self) -> None:
        """Power back on: file what the printer finished, acknowledge the recovery screen."""
        # The panel still shows the dead terminal's last screen: wait for the new process's.
        after = self.panel.frame_count
        self.start_terminal()
        name = self.screen("ready", "idle", "shares", "counted", "recovered-*", after=after)
        for image in self.drain_pages():
            self.restart_pages.append(image)
        if name.startswith("recovered-"):
            self.tap_plain("ok")
            self.screen("ready", "idle", "shares", "counted")
        current = self.current
        if current is not None and current.outcome != "cast":
            expected = self._expected_slip(current)
            slips = [image for image in self.restart_pages if _same(image, expected)]
            if slips:
                current.outcome, current.slip = "cast", self._file(slips[0], "slip")
                self.restart_pages.remove(slips[0])
        phase_kind = "protocol" if name == "counted" else "void"
        for index, image in enumerate(self.restart_pages):
            last = index == len(self.restart_pages) - 1
            self._file(image, phase_kind if last else "void")
            if last and phase_kind == "protocol":
                self.protocol_printed = True
        self.restart_pages = []

    def drain_pages(self) -> list[Image.Image]:
        """What the printer finished while the terminal restarted; empty cuts are not printouts."""
        time.sleep(0.3)
        found = []
        while not self.pages.empty():
            page = self.pages.get()
            if _has_ink(page.image):
                found.append(page.image)
        return found

    def tap_plain(self, target: str) -> int:
        before = self.panel.frame_count
        self.panel.tap_target(target)
        return before

    def open_polls(self) -> None:
        if self.screen("ready", "idle") == "idle":
            return
        self.chair()
        self.screen("idle")
        self.take_page("zero-report")

    def attend(self, attempt: Attempt) -> None:
        if attempt.kind == "unknown":
            self._refused(attempt.number)
        elif attempt.kind == "again":
            self._refused(self.register.voters[attempt.voter].number)
        else:
            self.vote(attempt.voter)

    def _refused(self, number: str) -> None:
        self.screen("idle")
        self.scan(number, "refused")
        after = self.tap("ok")
        self.screen("idle", after=after)

    def vote(self, index: int) -> None:
        """One voter, from the document scan to the slip; run again after a power cut."""
        outcome = self.outcomes[index]
        self.current = outcome
        if outcome.outcome == "cast":
            self.current = None
            return
        if not outcome.selections:
            outcome.selections = self.choices_of(index)
            outcome.language = self.rng.choice(LANGUAGES)
        self.screen("idle")
        self.scan(self.register.voters[index].number, "voter_found", "reissue_offer")
        self.tap("issue")
        self.screen("language")
        after = self.tap(outcome.language)
        self.screen("ballot", after=after)
        for contest in self.election.contests:
            for choice in outcome.selections[contest.id]:
                after = self.tap(f"choice-{choice}")
                self.screen("ballot", after=after)
            after = self.tap("next")
            self.screen("ballot", "review", after=after)
        after = self.tap("cast")
        self.screen("cast", after=after)
        self._expect_slip(outcome)
        self.current = None
        after = self.tap("done")
        self.screen("idle", after=after)

    def _expected_slip(self, outcome: VoterOutcome) -> Image.Image:
        selections = {k: tuple(v) for k, v in outcome.selections.items()}
        return render_slip(self.election, outcome.language, selections, Paper(384))

    def _expect_slip(self, outcome: VoterOutcome) -> None:
        """The slip that came out must be exactly this voter's choices, pixel for pixel."""
        try:
            page = self.pages.get(timeout=SCREEN_TIMEOUT)
        except queue.Empty:
            raise DayFailed(f"voter {outcome.voter}: ballot cast but no slip printed") from None
        if not _same(page.image, self._expected_slip(outcome)):
            name = self._file(page.image, "void")
            raise DayFailed(f"printout {name} is not voter {outcome.voter}'s slip")
        outcome.outcome, outcome.slip = "cast", self._file(page.image, "slip")

    def close_polls(self) -> None:
        name = self.screen("idle", "shares", "counted")
        if name == "idle":
            self.chair()
            self.screen("close_confirm")
            after = self.tap("close")
            name = self.screen("shares", after=after)
        if name == "shares":
            for card in self.share_cards[:2]:
                name = self.scan(card, "shares", "counted")
        self.screen("counted")
        if not self.protocol_printed:
            self.take_page("protocol")
            self.protocol_printed = True

    def write_voters(self) -> None:
        with (self.out / "voters.jsonl").open("w") as handle:
            for outcome in self.outcomes:
                handle.write(
                    json.dumps(
                        {"voter": outcome.voter, "outcome": outcome.outcome, "slip": outcome.slip}
                    )
                    + "\n"
                )

    def expected_totals(self) -> dict[str, dict[str, int]]:
        totals = {c.id: {ch.id: 0 for ch in c.choices} for c in self.election.contests}
        for outcome in self.outcomes:
            if outcome.slip is not None:
                for contest, chosen in outcome.selections.items():
                    for choice in chosen:
                        totals[contest][choice] += 1
        return totals


def _has_ink(image: Image.Image) -> bool:
    """An empty cut (a recovery cutting paper that was already cut) leaves no black dot."""
    return image.height > 0 and ImageOps.invert(image.convert("L")).getbbox() is not None


def _same(printed: Image.Image, expected: Image.Image) -> bool:
    """The printout is the expected image, followed only by the blank paper fed for the cut."""
    if printed.width != expected.width or printed.height < expected.height:
        return False
    top = printed.crop((0, 0, expected.width, expected.height))
    rest = printed.crop((0, expected.height, printed.width, printed.height))
    return top.convert("1").tobytes() == expected.convert("1").tobytes() and not _has_ink(rest)


def _read_choices(path: Path) -> list[dict[str, list[str]]]:
    lines = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        try:
            value = json.loads(line)
        except ValueError as exc:
            raise DayFailed(f"{path} line {number}: not JSON ({exc})") from exc
        if not isinstance(value, dict) or not all(
            isinstance(v, list) and all(isinstance(c, str) for c in v) for v in value.values()
        ):
            raise DayFailed(f'{path} line {number}: expected {{"contest": ["choice"]}}')
        lines.append(value)
    return lines

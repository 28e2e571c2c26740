"""A whole simulated polling day, driven like the people at a polling station would.

The commission makes the election with the host tools; each terminal runs as its own
process (`python -m terminal --board board_configs/sim*.toml`), talking to simulated
devices over real channels: the scanner and the printer on pseudo-terminals, the touch
panel over Unix sockets. The runner acts as the chair, the poll workers and the voters:
it scans documents, cards and coupons, taps what is on the screen, and collects every
printout. At the end the host tools verify and tally the exported bundles, and the tally
is checked against what the voters chose, counting only voters whose slip was printed.

Roles: one `combined` terminal, or (`split`) an identification desk that prints coupons
with one-time ballot codes and voting booths that take them; several booths, several
combined terminals and the voters who try to vote twice are sim/station.py's.

With power cuts, a terminal is killed with SIGKILL at random moments and restarted; a
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
import tempfile
import time
import tty
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageOps

from host_tools import commission
from host_tools.commission import ElectionSpec, PrecinctSpec, TerminalRegistration
from sim import boards, definitions, station, synthetic
from sim.audio import AUDIO_SOCKET, SimulatedAudio
from sim.panel import SimulatedPanel
from sim.printer import PrintedPage, SimulatedPrinter
from terminal.app.ballot_session import ISSUE_WITH_AUDIO
from terminal.app.identity import load_encryption_public
from terminal.app.printouts import Paper
from terminal.app.screens import PAGE_NEXT, PAGE_PREVIOUS
from terminal.app.station import render_slip
from terminal.ballot import selection
from terminal.ballot.election import Election, Identification, Mode, Role
from terminal.hal.interfaces import Key
from terminal.idscan.register import Register
from terminal.tally import tracking
from terminal.tally.sealing import default_ballot_format
from terminal.trust.signing import VerifyKey

REPO = Path(__file__).resolve().parent.parent
BOARDS = REPO / "board_configs"
PRECINCT = station.PRECINCT
SCREEN_TIMEOUT = 60.0
SCAN_TRIES = 3
SCAN_PATIENCE = 5.0
LANGUAGES = ("ky", "ru", "kk", "en")
# The booth's headphones in a day with --audio: the simulator's audio device.
AUDIO_TABLE = f'driver = "socket"\nsocket = "dev/{AUDIO_SOCKET}"'
MAX_PAGES = 100  # more page turns than that: the pages do not turn
MAX_KEY_PRESSES = 200  # more targets than that on a screen: the focus does not move
HOME_SCREENS = ("ready", "idle", "shares", "counted")


# The simulated boards' device key (board_configs/sim*.toml), in each terminal's run
# directory beside, never inside, its data directory.
SIM_DEVICE_KEY = "device.key"


def make_device_key(path: Path) -> None:
    """What a factory does for a board without OTP: 32 random bytes on a medium of their own."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, os.urandom(32))
        os.fsync(fd)
    finally:
        os.close(fd)


class DayFailed(Exception):
    """The day did not go as a polling station expects; the message says where."""


class PowerCut(Exception):
    """A terminal was killed on purpose in the middle of an action."""


@dataclass
class VoterOutcome:
    voter: int
    outcome: str = "not cast"
    slip: str | None = None
    selections: dict[str, list[str]] = field(default_factory=dict)
    language: str = ""
    coupon: str | None = None  # the ballot code the desk printed for this voter
    tracking_code: str | None = None  # the last receipt's (format 2): the cast ballot's
    challenged: str | None = None  # the tracking code of the ballot this voter challenged
    document: str = ""  # the document's scan: an ID card's or passport's MRZ, or a barcode


@dataclass(frozen=True)
class Attempt:
    """One person at the poll worker's desk: an eligible voter (index), or a refused try."""

    kind: str  # "vote", or a refused try: "unknown", "again", "minor", "expired", "mismatch",
    # or a voter's try at a second ballot elsewhere: "replay", "double" (Day.cheats[cheat])
    voter: int = -1
    scan: str = ""  # what a refused try scans
    cheat: int = -1


class Printouts:
    """Every printout of the day, numbered in the order it came out of any printer."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.count = 0

    def file(self, image: Image.Image, kind: str) -> str:
        self.count += 1
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{self.count:04d}-{kind}.png"
        image.save(self.directory / name)
        return name


class SimTerminal:
    """One terminal process with its simulated scanner, printer and touch panel."""

    def __init__(self, day: Day, terminal_id: str, role: Role, root: Path, board: str) -> None:
        self.day = day
        self.terminal_id = terminal_id
        self.role = role
        self.root = root  # the process's working directory: data/, dev/, its bundle
        self.board = BOARDS / board
        keypad = day.keypad_table()
        audio = AUDIO_TABLE if day.audio else None
        if any(v is not None for v in (day.screen, day.language, keypad, audio)):
            # The simulated devices with another board's panel, poll worker's language,
            # keypad or headphones.
            root.mkdir(parents=True, exist_ok=True)
            self.board = boards.derived(
                self.board, root / board, day.screen, day.language, keypad, audio
            )
        self.audio: SimulatedAudio | None = None
        self.pages: queue.Queue[PrintedPage] = queue.Queue()
        self.process: subprocess.Popen[bytes] | None = None
        self.protocol_printed = False
        # How many times slower than the host this terminal runs: cut windows are stretched
        # by it, so that a cut still falls inside the action (QEMU's TCG: some 20-35x).
        self.slowdown = 1.0

    @property
    def data(self) -> Path:
        return self.root / "data"

    def provision(self, commission_key: Path) -> TerminalRegistration:
        make_device_key(self.root / SIM_DEVICE_KEY)
        subprocess.run(
            [sys.executable, "-m", "terminal", "provision", "--board", str(self.board),
             "--data", "data", "--id", self.terminal_id,
             "--commission-key", str(commission_key.resolve())],
            check=True, cwd=self.root, stdout=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )  # fmt: skip
        encryption = (self.data / "terminal.enc.pub.pem").read_bytes()
        return TerminalRegistration(
            self.terminal_id, self.day.precinct, self.role,
            VerifyKey.load(self.data / "terminal.pub.pem"),
            load_encryption_public(encryption, "terminal.enc.pub.pem"),
        )  # fmt: skip

    def start_devices(self, screens: Path) -> None:
        dev = self.root / "dev"
        dev.mkdir(parents=True, exist_ok=True)
        self.printer = SimulatedPrinter(self.pages.put, 384, self.day.paper_rows)
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
        self.panel.save_distinct(screens)
        if self.day.audio:
            # OUT/audio for the day's first terminal, OUT/audio/<terminal> for the others,
            # as their screens are kept.
            heard = self.day.out / "audio" / screens.relative_to(self.day.out / "screens")
            self.audio = SimulatedAudio(dev, heard)
        self.day.devices_started(self)

    def start(self, first: bool = False) -> None:
        command = [sys.executable, "-m", "terminal", "--board", str(self.board), "--data", "data"]
        if first:
            command += ["--package", str(self.day.package_dir)]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        log = (self.root / "terminal.stderr").open("ab")
        self.process = subprocess.Popen(command, cwd=self.root, env=env, stdout=log, stderr=log)
        log.close()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.panel.close()
        if self.audio is not None:
            self.audio.close()
        self.printer.close()
        self.day.devices_stopped(self)
        os.close(self.scanner_master)
        os.close(self.scanner_slave)

    # --- acting on the terminal ------------------------------------------------------------

    def screen(self, *names: str, after: int = -1, timeout: float = SCREEN_TIMEOUT) -> str:
        """Wait for one of the named screens (newer than frame `after`); return its name.
        A name ending in '*' matches by prefix."""

        def wanted(name: str) -> bool:
            return name in names or any(n.endswith("*") and name.startswith(n[:-1]) for n in names)

        deadline = time.monotonic() + timeout
        reloads = 0
        while True:
            if self.process is not None and self.process.poll() is not None:
                raise DayFailed(
                    f"terminal {self.terminal_id} exited with {self.process.returncode}; "
                    f"see {self.root / 'terminal.stderr'}"
                )
            try:
                frame = self.panel.wait_for(
                    lambda f, newer=after: (
                        (wanted(f.name) or f.name == "printer_problem")
                        and self.panel.frame_count > newer
                    ),
                    timeout=0.5,
                )
            except TimeoutError:
                if time.monotonic() > deadline:
                    shown = self.panel.frame.name if self.panel.frame else "nothing"
                    raise DayFailed(
                        f"{self.terminal_id}: waited for {names}, the terminal shows {shown}"
                    ) from None
                continue
            if frame.name != "printer_problem" or wanted(frame.name):
                return frame.name
            reloads += 1
            if reloads > 3:
                raise DayFailed(f"{self.terminal_id}: a printout is longer than a paper roll")
            after = self.reload_paper()

    def reload_paper(self) -> int:
        """The poll worker puts in a new roll and taps Retry; the frame count before it."""
        self.printer.load_paper(self.day.paper_rows)
        self.day.paper_reloads += 1
        return self.tap("retry", cut=False)

    def scan(self, data: str, *expect: str) -> str:
        """Scan, and scan again if the terminal shows nothing new, as a poll worker would: a
        scan made while the terminal restarts is lost (opening the port clears its input)."""
        for _ in range(SCAN_TRIES):
            before = self.panel.frame_count
            self.send_scan(data)
            self.day.maybe_cut(self)
            try:
                return self.screen(*expect, after=before, timeout=SCAN_PATIENCE)
            except DayFailed:
                continue
        raise DayFailed(f"{self.terminal_id}: no answer to a scan after {SCAN_TRIES} tries")

    def tap(self, target: str, cut: bool = True) -> int:
        before = self.panel.frame_count
        self.press(target)
        if cut:
            # Storing a ballot and printing its slip happens within some 30 ms of "cast":
            # the moments that matter most, so a cut drawn there falls inside them.
            self.day.maybe_cut(self, 0.03 if target == "cast" else 0.25)
        return before

    def page_to(self, target: str) -> None:
        """Page back to the first page of the choices, then on until `target` is shown,
        as a voter looks for a name in a long contest."""
        for step in (PAGE_PREVIOUS, PAGE_NEXT):
            for _ in range(MAX_PAGES):
                frame = self.panel.frame
                shown = {t.id for t in frame.targets} if frame else set()
                if frame is None or target in shown or step not in shown:
                    break
                after = self.tap(step, cut=False)
                self.screen(frame.name, after=after)
            else:
                raise DayFailed(f"{self.terminal_id}: {step} does not reach {target!r}")

    def send_scan(self, data: str) -> None:
        """The scanner reads `data`: document readers end a scan with LF (an MRZ's lines are
        joined by CR within it)."""
        os.write(self.scanner_master, data.encode() + b"\n")

    def press(self, target: str) -> None:
        """Touch the centre of a target of the screen shown now, or (--input keypad) move
        the keypad's focus to it and select it."""
        if self.day.keypad:
            self.press_by_keys(target)
        else:
            self.panel.tap_target(target)

    def turn_audio_on(self) -> None:
        """The voter's help key: audio on for their session, the screen said again."""
        before = self.panel.frame_count
        self.day.press_key(self, Key.HELP)
        self.panel.wait_for(lambda f, n=before: self.panel.frame_count > n, timeout=SCREEN_TIMEOUT)

    def press_by_keys(self, target: str) -> None:
        """Down or up (the shorter way round) until `target` is focused, then select, each
        key waited for in the frame it draws, as a voter hears each target before the next."""
        frame = self.panel.frame
        for _ in range(2 * MAX_KEY_PRESSES):
            if frame is None:
                raise DayFailed(f"{self.terminal_id}: nothing on the screen to press {target!r}")
            ids = [t.id for t in frame.targets]
            if target not in ids:
                raise DayFailed(f"{self.terminal_id}: screen {frame.name!r} has no {target!r}")
            if frame.focus == target:
                # Every tap handled redraws; the next press is decided on that new frame.
                before = self.panel.frame_count
                self.day.press_key(self, Key.SELECT)
                self.panel.wait_for(
                    lambda f, n=before: self.panel.frame_count > n, timeout=SCREEN_TIMEOUT
                )
                return
            if frame.focus is None:
                key = Key.DOWN  # the first key shows where the focus is
            else:
                ahead = (ids.index(target) - ids.index(frame.focus)) % len(ids)
                key = Key.DOWN if ahead <= len(ids) // 2 else Key.UP
            before = self.panel.frame_count
            self.day.press_key(self, key)
            frame = self.panel.wait_for(
                lambda f, n=before: self.panel.frame_count > n, timeout=SCREEN_TIMEOUT
            )
        raise DayFailed(f"{self.terminal_id}: the keypad's focus never reached {target!r}")

    def take_page(self, kind: str, timeout: float = SCREEN_TIMEOUT) -> tuple[str, Image.Image]:
        """Wait for the next whole printout and file it as `NNNN-kind.png`; a piece cut
        short by a paper-out comes first, marked void, and is filed as such."""
        while True:
            page = self.next_page(timeout)
            if page.complete:
                return self.day.printouts.file(page.image, kind), page.image
            self.day.printouts.file(page.image, "void")

    def next_page(self, timeout: float = SCREEN_TIMEOUT) -> PrintedPage:
        try:
            return self.pages.get(timeout=timeout)
        except queue.Empty:
            raise DayFailed(f"{self.terminal_id}: no printout came out") from None

    def drain_pages(self) -> list[Image.Image]:
        """What the printer finished while the terminal restarted; empty cuts are not
        printouts."""
        time.sleep(0.3)
        found = []
        while not self.pages.empty():
            page = self.pages.get()
            if _has_ink(page.image):
                found.append(page.image)
        return found

    def chair(self) -> None:
        """The chair scans the chair card and types the PIN."""
        self.scan(self.day.chair_card, "chair_pin")
        for digit in self.day.chair_pin:
            after = self.tap(f"digit-{digit}")
            self.screen("chair_pin", after=after)
        self.tap("ok")

    def restart(self) -> tuple[str, list[Image.Image]]:
        """Power back on: acknowledge the recovery screen; return it and what was printed."""
        # The panel still shows the dead terminal's last screen: wait for the new process's.
        after = self.panel.frame_count
        self.start()
        name = self.screen(*HOME_SCREENS, "recovered-*", after=after)
        pages = self.drain_pages()
        if name.startswith("recovered-"):
            self.tap("ok", cut=False)
            self.screen(*HOME_SCREENS)
        return name, pages


class Day:
    board = "sim.toml"  # the combined terminal's board file

    def __init__(
        self,
        voters: int,
        seed: int,
        out: Path,
        choices: Path | None,
        power_cuts: int,
        roles: str = "combined",
        paper_rows: int | None = None,
        booths: int = 1,
        terminals: int = 1,
        replays: int = 0,
        doubles: int = 0,
        definition: Path | None = None,
        screen: str | None = None,
        language: str | None = None,
        keypad: bool = False,
        challenges: int = 0,
        audio: bool = False,
    ) -> None:
        self.rng = random.Random(seed)
        self.keypad = keypad  # every target pressed with the booth's keypad, not touched
        self.audio = audio  # every voter turns the audio ballot on (the help key)
        # Voters who challenge their first encrypted ballot (format 2), drawn apart from
        # the day's other draws so the same seed makes the same day with or without them.
        draw = random.Random(f"challenges-{seed}")
        self.challengers = set(draw.sample(range(voters), min(challenges, voters)))
        self.definition = definition  # an election definition (TOML) to hold the day on
        self.screen = screen  # another panel size for the simulated terminals (WxH)
        self.language = language  # every voter's and the poll workers' language (else drawn)
        self.paper_rows = paper_rows  # the length of a paper roll, in dot rows (None: endless)
        self.paper_reloads = 0
        self.voters = voters
        self.out = out
        # sim/election.py runs a day per precinct of one election: its precinct and package.
        self.precinct = PRECINCT
        self.package_dir = out / "package"
        self.power_cuts = power_cuts
        self.choices_file = choices
        self.scripted = read_choices(choices) if choices else []
        self.outcomes = [VoterOutcome(i) for i in range(voters)]
        self.printouts = Printouts(out / "printouts")
        self.actions = 0
        self.cut_at: set[int] = set()
        self.cuts_done = 0
        self.timings: dict[str, float] = {}
        self.current: VoterOutcome | None = None
        if roles not in ("combined", "split"):
            raise DayFailed(f"roles must be combined or split, not {roles!r}")
        self.roles = roles
        self.places = station.layout(out, roles, booths, terminals, self.board)
        self.terminals = [
            SimTerminal(self, p.terminal, p.role, p.root, p.board) for p in self.places
        ]
        self.by_id = {t.terminal_id: t for t in self.terminals}
        # The desk (or combined terminal 1) sees the people who come without a voter's
        # right; the booths (or the combined terminals) give the ballots.
        self.desk = self.terminals[0]
        self.booths = [t for t in self.terminals if t.role is not Role.IDENTIFY]
        self.booth = self.booths[0]
        self.cheats = [station.Cheat("replay", -1) for _ in range(replays)]
        self.cheats += [station.Cheat("double", -1) for _ in range(doubles)]

    # --- the commission's office ------------------------------------------------------

    def prepare(self) -> None:
        """Create the election with the host tools, provision and register the terminals."""
        office = self.out / "office"
        office.mkdir(parents=True, exist_ok=True)
        key = commission.create_commission_key(office / "commission.key.pem")
        key.public.save(office / "commission.pub.pem")
        # What the commission publishes; the host tools are pinned to it.
        self.commission_fingerprint = key.public.fingerprint()
        registrations = [t.provision(office / "commission.pub.pem") for t in self.terminals]
        for terminal in self.terminals:
            self.terminal_provisioned(terminal)
        today = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=6)).date()
        eligible = synthetic.make_register(PRECINCT, self.voters, today, self.rng).voters
        minors = synthetic.minors(PRECINCT, max(1, self.voters // 50), today, self.rng)
        self.register = Register(PRECINCT, (*eligible, *minors))
        spec = (
            definitions.day_spec(self.definition)
            if self.definition
            else ElectionSpec(
                id=f"KG-{today:%Y%m%d}-PRES",
                names=synthetic.ELECTION_NAMES,
                date=today,
                timezone="+06:00",
                polls_open=dt.time(8),
                polls_close=dt.time(20),
                mode=Mode.OFFICIAL,
                country="KG",
                contests=(synthetic.president_contest(),),
                # Some voters show only their PIN's barcode: the protocol counts them.
                identification=Identification(accept_bare_number=True),
                # As a definition without ballot_format gets (verifiable where it fits).
                ballot_format=default_ballot_format((synthetic.president_contest(),)),
            )
        )
        created = commission.build_election(
            spec,
            # The minors are on the register only to be refused: not voters on the list.
            [
                PrecinctSpec(
                    PRECINCT, synthetic.PRECINCT_NAMES, self.register, voters_on_list=self.voters
                )
            ],
            threshold=2,
            share_count=3,
            terminals=registrations,
            media=definitions.day_media(self.definition),
        )
        commission.write_commission_outputs(self.out, created, key)
        self.election: Election = created.election
        check_choices(self.election, self.scripted, self.choices_file)
        secrets = created.secrets[PRECINCT]
        self.chair_card = secrets.chair_card.payload()
        self.chair_pin = secrets.chair_pin
        self.share_cards = [card.payload() for card in secrets.share_cards]

    # --- what a day with more devices adds (sim/enclosure.py) -----------------------------

    def keypad_table(self) -> str | None:
        """The booth board's [keypad] table, if not the board config's own."""
        return None

    def press_key(self, terminal: SimTerminal, key: Key) -> None:
        """Press and release a key of the booth's tactile keypad."""
        terminal.panel.press_key(key)

    def terminal_provisioned(self, terminal: SimTerminal) -> None:
        """After the terminal's provisioning in the commission's workshop."""

    def devices_started(self, terminal: SimTerminal) -> None:
        """After the terminal's simulated devices are up, before the terminal starts."""

    def devices_stopped(self, terminal: SimTerminal) -> None:
        """After the terminal and its devices are stopped."""

    def slip_printed(self, outcome: VoterOutcome) -> None:
        """The voter has taken their printed slip."""

    # --- power cuts ------------------------------------------------------------------------

    def maybe_cut(self, terminal: SimTerminal, window: float = 0.25) -> None:
        """Cut a terminal's power now if this action was drawn, at a moment within `window`."""
        self.actions += 1
        if self.actions in self.cut_at:
            time.sleep(self.rng.uniform(0.0, window * terminal.slowdown))
            terminal.kill()
            self.cuts_done += 1
            raise PowerCut(terminal)

    def guarded(self, step: object) -> None:
        """Run a step; after a power cut restart the terminal and run what is left again."""
        assert callable(step)
        while True:
            try:
                step()
                return
            except PowerCut as cut:
                terminal = cut.args[0]
                assert isinstance(terminal, SimTerminal)
                self.recover(terminal)

    def recover(self, terminal: SimTerminal) -> None:
        """Restart a terminal and sort what its printer finished: a cut-off voter's slip or
        coupon, void notices, or the protocol."""
        name, pages = terminal.restart()
        current = self.current
        if current is not None and current.outcome != "cast" and terminal.role is not Role.IDENTIFY:
            expected = self._expected_slip(current)
            slips = [image for image in pages if self.same_slip(image, expected)]
            if slips:
                current.outcome, current.slip = "cast", self.printouts.file(slips[0], "slip")
                pages.remove(slips[0])
        if current is not None and terminal.role is Role.IDENTIFY and current.coupon is None:
            for image in pages:
                code = decode_qr(image)
                if code is not None:
                    current.coupon = code
                    pages.remove(image)
                    self.printouts.file(image, "coupon")
                    break
        for index, image in enumerate(pages):
            last = index == len(pages) - 1
            kind = "protocol" if last and name == "counted" else "void"
            self.printouts.file(image, kind)
            terminal.protocol_printed |= kind == "protocol"

    # --- the day ------------------------------------------------------------------------------

    def schedule(self) -> list[Attempt]:
        """Everyone who comes to the desk, in order: the eligible voters, and on top of them
        people who are refused: not on the register, back a second time, under age, with an
        expired passport or another ID card than the register's (both then come back with
        the right document and vote)."""
        attempts = [Attempt("vote", i) for i in range(self.voters)]
        extra = max(1, self.voters // 20)
        day, rng = self.election.date, self.rng
        for _ in range(extra):
            number = synthetic.unknown_pin(self.register, rng)
            attempts.insert(rng.randrange(len(attempts) + 1), Attempt("unknown", scan=number))
        for minor in self.register.voters[self.voters :]:
            scan = synthetic.document_scan(minor, "id-card", day, rng)
            attempts.insert(rng.randrange(len(attempts) + 1), Attempt("minor", scan=scan))
        for kind, document in (("expired", "expired-passport"), ("mismatch", "other-id-card")):
            for _ in range(max(1, extra // 2)):
                voter = rng.randrange(self.voters)
                position = attempts.index(Attempt("vote", voter))
                scan = synthetic.document_scan(self.register.voters[voter], document, day, rng)
                attempts.insert(position, Attempt(kind, voter, scan))
        for _ in range(extra):
            # A voter who comes back: placed after their own vote.
            voter = rng.randrange(self.voters)
            position = attempts.index(Attempt("vote", voter))
            scan = synthetic.document_scan(self.register.voters[voter], "barcode", day, rng)
            attempts.insert(rng.randint(position + 1, len(attempts)), Attempt("again", voter, scan))
        cheaters = rng.sample(range(self.voters), len(self.cheats))
        for index, (cheat, voter) in enumerate(zip(self.cheats, cheaters, strict=True)):
            # A voter who has voted tries again elsewhere: placed after their own vote.
            cheat.voter = voter
            position = attempts.index(Attempt("vote", cheat.voter))
            attempts.insert(
                rng.randint(position + 1, len(attempts)),
                Attempt(cheat.kind, cheat.voter, cheat=index),
            )
        return attempts

    def choices_of(self, voter: int) -> dict[str, list[str]]:
        if voter < len(self.scripted):
            return self.scripted[voter]
        return {c.id: [self.rng.choice(c.choices).id] for c in self.election.contests}

    def _total_actions(self, attempts: list[Attempt]) -> int:
        """The actions of a day without cuts, among which the cuts fall: the chair's card, PIN
        and OK at opening and closing and the close button on each terminal, two share cards,
        and per person the scans and taps below. A cut makes actions repeat, so all are
        reached."""
        contests = len(self.election.contests)
        desk = 4 if self.roles == "split" else 0  # scan, issue, coupon OK; booth scan
        voting = sum(5 + 2 * contests + desk if a.kind == "vote" else 2 for a in attempts)
        return len(self.terminals) * (2 * (2 + len(self.chair_pin)) + 1) + 2 + voting

    def run(self) -> dict[str, float]:
        started = time.monotonic()
        self.prepare()
        self.timings["prepare_s"] = time.monotonic() - started
        attempts = self.schedule()
        total = self._total_actions(attempts)
        if self.power_cuts > total:
            raise DayFailed(f"at most {total} power cuts fit a day of {self.voters} voters")
        self.cut_at = set(self.rng.sample(range(1, total + 1), self.power_cuts))
        screens = self.out / "screens"
        for terminal in self.terminals:
            root = terminal.root
            terminal.start_devices(screens if root == self.out else screens / root.name)
        try:
            for terminal in self.terminals:
                terminal.start(first=True)
                terminal.screen("ready")
                terminal.take_page("setup-report")
                self.guarded(lambda t=terminal: self.open_polls(t))  # type: ignore[misc]
            voting = time.monotonic()
            for attempt in attempts:
                self.guarded(lambda a=attempt: self.attend(a))  # type: ignore[misc]
            self.timings["voting_s"] = time.monotonic() - voting
            for terminal in self.terminals:
                self.guarded(lambda t=terminal: self.close_polls(t))  # type: ignore[misc]
        finally:
            for terminal in self.terminals:
                terminal.stop()
        self.write_voters()
        self.timings["day_s"] = time.monotonic() - started
        return self.timings

    def open_polls(self, terminal: SimTerminal) -> None:
        if terminal.screen("ready", "idle") == "idle":
            return
        terminal.chair()
        terminal.screen("idle")
        terminal.take_page("zero-report")

    def attend(self, attempt: Attempt) -> None:
        if attempt.kind == "vote":
            self.vote(attempt.voter)
        elif attempt.cheat >= 0:
            station.attempt(self, self.cheats[attempt.cheat])
        else:
            self._refused(attempt.scan, attempt.voter)

    def _refused(self, scan: str, voter: int) -> None:
        desk = station.identifying_terminal(self, voter) if voter >= 0 else self.desk
        desk.screen("idle")
        desk.scan(scan, "refused")
        after = desk.tap("ok")
        desk.screen("idle", after=after)

    def vote(self, index: int) -> None:
        """One voter, from the document scan to the slip; run again after a power cut."""
        outcome = self.outcomes[index]
        self.current = outcome
        if outcome.outcome == "cast":
            self.current = None
            return
        if not outcome.selections:
            outcome.selections = self.choices_of(index)
            outcome.language = self.language or self.rng.choice(LANGUAGES)
            kind = self.rng.choice(
                synthetic.DOCUMENTS
                if self.election.identification.accept_bare_number
                else tuple(d for d in synthetic.DOCUMENTS if d != "barcode")
            )
            voter = self.register.voters[index]
            outcome.document = synthetic.document_scan(voter, kind, self.election.date, self.rng)
        given = True
        if self.roles == "combined":
            given = self._identify(index)
        elif outcome.coupon is None:
            given = self._get_coupon(index)
        if given:
            self._ballot(outcome)
        self.current = None

    def _identify(self, index: int) -> bool:
        """At the desk: the poll worker scans the voter's document and issues a ballot.

        False when the desk refuses: after a coupon was cut off mid-print, which fails safe
        (no second coupon), the voter is referred to the commission and does not vote here.
        """
        desk = station.identifying_terminal(self, index)
        desk.screen("idle")
        document = self.outcomes[index].document
        if desk.scan(document, "voter_found", "reissue_offer", "refused") == "refused":
            after = desk.tap("ok")
            desk.screen("idle", after=after)
            return False
        desk.tap(ISSUE_WITH_AUDIO if self._headphones_from_poll_worker(index) else "issue")
        return True

    def _headphones_from_poll_worker(self, index: int) -> bool:
        """With --audio at a combined terminal, every other voter is issued the ballot with
        headphones by the poll worker; the others turn audio on with their help key."""
        return self.audio and self.roles == "combined" and index % 2 == 1

    def _get_coupon(self, index: int) -> bool:
        """At the desk: identify, issue, and hand over the coupon with its ballot code."""
        if not self._identify(index):
            return False
        self.desk.screen("coupon")
        name, image = self.desk.take_page("coupon")
        code = decode_qr(image)
        if code is None:
            raise DayFailed(f"printout {name}: the coupon's QR code does not decode")
        self.outcomes[index].coupon = code
        after = self.desk.tap("ok")
        self.desk.screen("idle", after=after)
        return True

    def _ballot(self, outcome: VoterOutcome) -> None:
        booth = station.voting_terminal(self, outcome.voter)
        if self.roles == "split":
            booth.screen("idle")
            assert outcome.coupon is not None
            booth.scan(outcome.coupon, "language")
        else:
            booth.screen("language")
        if self.audio and not self._headphones_from_poll_worker(outcome.voter):
            booth.turn_audio_on()
        booth.page_to(outcome.language)
        after = booth.tap(outcome.language)
        booth.screen("ballot", after=after)
        for contest in self.election.contests:
            for choice in outcome.selections[contest.id]:
                booth.page_to(f"choice-{choice}")
                after = booth.tap(f"choice-{choice}")
                booth.screen("ballot", after=after)
            after = booth.tap("next")
            booth.screen("ballot", "review", after=after)
        after = booth.tap("cast")
        if self.election.ballot_format == 2:
            after = self._receipt(outcome, after, booth)
        booth.screen("cast", after=after)
        self._expect_slip(outcome, booth)
        after = booth.tap("done")
        booth.screen("idle", after=after)

    def _receipt(self, outcome: VoterOutcome, after: int, booth: SimTerminal) -> int:
        """Take the receipt and read its tracking code; a challenger challenges their first
        encrypted ballot once, takes the SPOILED printout and casts the same choices again."""
        while True:
            booth.screen("receipt", after=after)
            name, image = booth.take_page("receipt")
            code = decode_qr(image)
            if code is None:
                raise DayFailed(f"printout {name}: the receipt's QR code does not decode")
            outcome.tracking_code = tracking.parse(code)
            if outcome.voter not in self.challengers or outcome.challenged is not None:
                return booth.tap("cast")
            outcome.challenged = outcome.tracking_code
            after = booth.tap("challenge")
            booth.screen("challenged", after=after)
            booth.take_page("challenge")
            after = booth.tap("vote-again")
            booth.screen("review", after=after)
            after = booth.tap("cast")

    def same_slip(self, printed: Image.Image, expected: Image.Image) -> bool:
        """Whether a printout is the expected slip: pixel for pixel, as the terminal renders
        with the same Pillow as this runner (the QEMU guest's own Pillow differs slightly)."""
        return _same(printed, expected)

    def _expected_slip(self, outcome: VoterOutcome) -> Image.Image:
        selections = {k: tuple(v) for k, v in outcome.selections.items()}
        return render_slip(self.election, self.precinct, outcome.language, selections, Paper(384))

    def _expect_slip(self, outcome: VoterOutcome, booth: SimTerminal) -> None:
        """The slip that came out must be exactly this voter's choices, pixel for pixel
        (after any piece cut short by a paper-out and marked void)."""
        while True:
            page = booth.next_page()
            if not page.complete:
                self.printouts.file(page.image, "void")
                continue
            if not self.same_slip(page.image, self._expected_slip(outcome)):
                name = self.printouts.file(page.image, "void")
                raise DayFailed(f"printout {name} is not voter {outcome.voter}'s slip")
            outcome.outcome, outcome.slip = "cast", self.printouts.file(page.image, "slip")
            self.slip_printed(outcome)
            return

    def close_polls(self, terminal: SimTerminal) -> None:
        name = terminal.screen("idle", "shares", "counted")
        if name == "idle":
            terminal.chair()
            terminal.screen("close_confirm")
            after = terminal.tap("close")
            name = terminal.screen("shares", "counted", after=after)
        if name == "shares":
            for card in self.share_cards[:2]:
                name = terminal.scan(card, "shares", "counted")
        terminal.screen("counted")
        if not terminal.protocol_printed:
            terminal.take_page("protocol")
            terminal.protocol_printed = True

    def write_voters(self) -> None:
        with (self.out / "voters.jsonl").open("w") as handle:
            for outcome in self.outcomes:
                line = {"voter": outcome.voter, "outcome": outcome.outcome, "slip": outcome.slip}
                if self.election.ballot_format == 2:
                    cast = outcome.outcome == "cast"
                    line["tracking_code"] = outcome.tracking_code if cast else None
                    line["challenged"] = outcome.challenged
                handle.write(json.dumps(line) + "\n")
            for cheat in self.cheats:
                handle.write(json.dumps(cheat.line()) + "\n")

    def expected_blank(self) -> dict[str, int]:
        """Per contest, the voters with a printed slip who left it without a mark."""
        return {
            c.id: sum(1 for o in self.outcomes if o.slip is not None and not o.selections[c.id])
            for c in self.election.contests
        }

    def expected_totals(self) -> dict[str, dict[str, int]]:
        totals = {c.id: {ch.id: 0 for ch in c.choices} for c in self.election.contests}
        for outcome in self.outcomes:
            if outcome.slip is not None:
                for contest, chosen in outcome.selections.items():
                    for choice in chosen:
                        totals[contest][choice] += 1
        return totals


def decode_qr(image: Image.Image) -> str | None:
    """Read a printed QR code with zbarimg, as the voter's coupon is read at the booth."""
    with tempfile.NamedTemporaryFile(suffix=".png") as handle:
        image.save(handle.name)
        result = subprocess.run(
            ["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", handle.name],
            capture_output=True,
            text=True,
        )
    lines = result.stdout.split()
    return lines[0] if result.returncode == 0 and lines else None


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


def read_choices(path: Path) -> list[dict[str, list[str]]]:
    """The scripted choices, line i for voter i; DayFailed naming the line when one is not
    a JSON object of contest ids to lists of choice ids."""
    lines = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DayFailed(f"--choices {path}: cannot read it ({exc})") from exc
    for number, line in enumerate(text.splitlines(), 1):
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


def check_choices(
    election: Election, scripted: list[dict[str, list[str]]], path: Path | None
) -> None:
    """Every scripted line must be a ballot the terminal would accept: each contest of the
    election given, each a valid selection by the contest's rules; DayFailed naming the
    line and contest otherwise, before any voter votes."""
    contests = {c.id: c for c in election.contests}
    for number, line in enumerate(scripted, 1):
        where = f"--choices {path} line {number}"
        unknown = sorted(set(line) - set(contests))
        if unknown:
            raise DayFailed(f"{where}: contest {unknown[0]!r} is not in the election")
        for contest in election.contests:
            if contest.id not in line:
                raise DayFailed(f"{where}: contest {contest.id!r} is not given")
            wrong = selection.problem(contest, tuple(line[contest.id]))
            if wrong is not None:
                raise DayFailed(
                    f"{where}: contest {contest.id!r}: {wrong.value.replace('_', ' ')} "
                    f"{line[contest.id]}"
                )

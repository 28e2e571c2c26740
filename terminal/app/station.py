"""The polling station's terminal: what the poll worker and the voter see and touch.

The station turns scans and taps into calls on Polls (which owns every store and every
transition) and shows one screen at a time. All text goes through gettext: poll-worker
screens in the board's language, voter screens in the language the voter chose.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import select
import time
from collections.abc import Callable
from enum import Enum
from functools import partial
from pathlib import Path

from PIL import Image

from terminal.app import ballot_session, benaloh, pages, printouts
from terminal.app.audio_ballot import SpokenScreens
from terminal.app.ballot_session import (
    ISSUE_WITH_AUDIO,
    OPEN_BALLOT_VIEWS,
    PAGED_VIEWS,
    VOTER_VIEWS,
    IdleTimer,
    Session,
)
from terminal.app.enclosure_watch import EnclosureWatch
from terminal.app.i18n import N_, VOTER_LANGUAGES, Gettext, every_language, translator
from terminal.app.key_focus import KeyFocus
from terminal.app.polls import Polls, PollsState, PrinterProblem, Recovery
from terminal.app.response_times import Input, ResponseLog, Step
from terminal.app.screens import (
    DEFAULT_PX_PER_MM,
    Fonts,
    Layout,
    Screen,
    Style,
    dark,
    frame_of,
    layout,
)
from terminal.app.software import software_hash
from terminal.app.view import View
from terminal.ballot import slip_code
from terminal.ballot.election import Contest, Election, Mode, Role
from terminal.hal.gpio import Gpio, NoGpio
from terminal.hal.interfaces import (
    Audio,
    Display,
    Frame,
    Key,
    Keypad,
    NoKeypad,
    PrinterStatus,
    Scan,
    Scanner,
    Touch,
)
from terminal.hal.watchdog import WatchdogPinger, notify_ready
from terminal.idscan.ballot_codes import CodeProblem
from terminal.idscan.eligibility import Decision
from terminal.idscan.findings import Problem
from terminal.idscan.scans import classify
from terminal.invariants import InvariantError
from terminal.tally.count import Count
from terminal.tally.event_log import Checkpoint
from terminal.tally.key_process import count_with_shares
from terminal.tally.protocol import Protocol
from terminal.tally.spoiled import Spoiled
from terminal.trust import chair
from terminal.trust.files import UnsafeFileError
from terminal.trust.shares import ShareCollector, ShareProblem

CHAIR_ATTEMPTS = 5
CHAIR_LOCKOUT = dt.timedelta(minutes=5)


class Purpose(Enum):
    OPEN = "open"
    CLOSE = "close"


STICK_REFUSED = N_(
    "The export stick holds links, pipes or device files: it was refused and nothing was "
    "written to it. Put in a clean stick and tap Export again."
)
FATAL_TEXT = {
    "package_refused": N_("The election package was refused. Nothing was installed."),
    "stores_inconsistent": N_(
        "The ballot box, the voter marks and the event log disagree. Call the commission."
    ),
    "storage_failed": N_(
        "The storage card failed. The last ballot was not confirmed. Call the commission."
    ),
    "crypto_unsafe": N_(
        "This terminal's cryptographic library is unsafe for verifiable ballots. "
        "Call the commission."
    ),
    "audio_unavailable": N_(
        "The audio ballot could not be prepared: the speech synthesiser is missing or failed. "
        "Call the commission."
    ),
}
REFUSALS = {
    Decision.INVALID_DOCUMENT: N_("The document could not be read or is not valid."),
    Decision.BARE_NUMBER_REFUSED: N_(
        "A number alone is not accepted in this election: scan the voter's ID card or passport."
    ),
    Decision.DOCUMENT_NOT_ACCEPTED: N_("Documents of this country are not accepted here."),
    Decision.NOT_A_NATIONAL: N_("The document states another nationality: only citizens vote."),
    Decision.NOT_ON_REGISTER: N_("This person is not on this precinct's voter register."),
    Decision.DOCUMENT_MISMATCH: N_("The document does not match the voter register."),
    Decision.DOCUMENT_EXPIRED: N_("The document has expired."),
    Decision.UNDER_AGE: N_("This person is under the voting age on election day."),
    Decision.ALREADY_VOTED: N_("This voter has already received a ballot."),
}
PRINTER_TEXT = {
    PrinterStatus.PAPER_OUT: N_("The printer is out of paper."),
    PrinterStatus.COVER_OPEN: N_("The printer cover is open."),
    PrinterStatus.OFFLINE: N_("The printer does not answer."),
}
PROBLEM_TEXT = {
    Problem.UNRECOGNISED: N_("This is not an identity document or a voter's number."),
    Problem.MALFORMED: N_("A field of the document holds something it cannot hold."),
    Problem.CHECK_DIGIT: N_("A check digit does not match: scan the document again."),
    Problem.MISMATCH: N_("The personal number and the machine-readable zone disagree."),
}
CODE_TEXT = {
    CodeProblem.NOT_A_CODE: N_("That is not a ballot code. Scan the code on your coupon."),
    CodeProblem.OTHER_PRECINCT: N_("That coupon is for another polling station."),
    CodeProblem.FORGED: N_("That coupon is not genuine."),
    CodeProblem.OTHER_BOOTH: N_("That coupon is for booth {number} ({booth}). Please go there."),
    CodeProblem.EXPIRED: N_("That coupon has expired. Go back to the identification desk."),
    CodeProblem.USED: N_("That coupon has already been used."),
}
SHARE_TEXT = {
    ShareProblem.NOT_A_SHARE: N_("That is not a key-share card."),
    ShareProblem.OTHER_PRECINCT: N_("That key-share card belongs to another precinct or election."),
    ShareProblem.DAMAGED: N_("That key-share card is damaged or mistyped (its checksum fails)."),
    ShareProblem.DUPLICATE: N_("That key-share card was already scanned."),
    ShareProblem.FOREIGN_SET: N_("That key-share card is from another set of cards."),
    ShareProblem.WRONG_KEY: N_("These cards do not open this precinct's ballot box."),
    ShareProblem.NOT_REGISTERED: N_(
        "That key-share card is not one of this precinct's cards. The cards already "
        "scanned are kept."
    ),
}


class Station:
    def __init__(
        self,
        polls: Polls,
        display: Display,
        touch: Touch,
        scanner: Scanner,
        fonts: Fonts,
        worker_language: str,
        export_dir: Path,
        gpio: Gpio | None = None,
        px_per_mm: float = DEFAULT_PX_PER_MM,
        enclosure_watch: EnclosureWatch | None = None,
        keypad: Keypad | None = None,
        response_log: ResponseLog | None = None,
        audio: Audio | None = None,
    ) -> None:
        """`audio`: the booth's headphones, if the board has them (its [audio] section)."""
        self.polls = polls
        self.audio = audio
        self.spoken: SpokenScreens | None = None  # the audio ballot, once set up
        self.response_log = response_log
        self.gpio: Gpio = gpio or NoGpio()
        self.enclosure_watch = enclosure_watch
        self.seal: bool | None = None  # the seal switch as last read (None: no switch)
        self.led: bool | None = None  # the status LED as last set
        self.display = display
        self.touch = touch
        self.keypad: Keypad = keypad or NoKeypad()
        self.keys = KeyFocus()
        self.scanner = scanner
        self.fonts = fonts
        self.worker_language = worker_language
        self.export_dir = export_dir
        self.view = View.READY
        self.lines: tuple[str, ...] = ()
        self.pin = ""
        self.purpose = Purpose.OPEN
        self.card: chair.ChairCard | None = None
        self.session: Session | None = None
        self.pending: Callable[[], PrinterProblem | None] | None = None
        self.after_print = View.IDLE
        self.collector: ShareCollector | None = None
        self.frame: Frame | None = None
        self.pressed: str | None = None
        self.recovery = Recovery.NOTHING
        self.px_per_mm = px_per_mm  # the panel's, from the board config
        self.idle = IdleTimer(polls.log.clock.now())

    # --- text ---------------------------------------------------------------------------

    @property
    def _w(self) -> Gettext:
        """Poll-worker text."""
        return translator(self.worker_language)

    @property
    def _v(self) -> Gettext:
        """Voter text, in the voter's language."""
        return translator(self.session.language if self.session else self.worker_language)

    # --- start-up -----------------------------------------------------------------------

    def start(self, package_source: Path | None) -> None:
        """Install the package if blank, settle any interruption, and pick the first screen."""
        polls = self.polls
        for language in VOTER_LANGUAGES:
            translator(language)  # a missing catalog stops the terminal now, not mid-ballot
        if polls.state is PollsState.BLANK:
            if package_source is None:
                raise SystemExit("no election package installed and none given (--package)")
            self._run_print(lambda: polls.install(package_source), View.READY)
        else:
            polls.load()
            self.recovery = polls.recover()
            self._run_print(polls.reprint_pending, self._home())
            if self.view is not View.PRINTER_PROBLEM and self.recovery is not Recovery.NOTHING:
                self.view = View.RECOVERED
        if self.audio is not None and polls.role is not Role.IDENTIFY:
            # At setup, never at a tap: espeak-ng takes a few hundred ms a line on a Pi.
            if polls.package is None:
                raise InvariantError("invariant broken: polls.package is not None")
            self.spoken = SpokenScreens.set_up(self.audio, polls.package, polls.data)
        state = polls.state
        if state is PollsState.CLOSED and polls.role is Role.IDENTIFY:
            polls.count_and_sign(None)
        if state is PollsState.CLOSED and polls.role is not Role.IDENTIFY:
            self._start_shares()
        elif polls.state is PollsState.COUNTED and self.view is not View.PRINTER_PROBLEM:
            self._run_print(self._publish, View.COUNTED)
            if self.recovery is not Recovery.NOTHING and self.view is View.COUNTED:
                self.view = View.RECOVERED
        self.show()

    def _home(self) -> View:
        return {
            PollsState.READY: View.READY,
            PollsState.OPEN: View.IDLE,
            PollsState.CLOSED: View.SHARES,
            PollsState.COUNTED: View.COUNTED,
        }[self.polls.state]

    # --- the loop -----------------------------------------------------------------------

    def run(self) -> None:
        """Serve scans and taps for ever (the process is stopped by its supervisor).

        Every turn of the loop tells systemd's watchdog the terminal is alive: a hung
        terminal is restarted into the same state (the state lives in the event log).
        """
        watchdog = WatchdogPinger()
        notify_ready()
        watch = self.enclosure_watch
        # The enclosure controller's session is kept alive: it is polled at least this often.
        wait = 1.0 if watch is None else 0.2
        while True:
            watchdog.tick()
            # Asked afresh each turn: an unplugged device's descriptor changes when it is back.
            # The controller's line too: what it sends (a key among it) is polled at once.
            readable = [self.scanner.fileno(), self.touch.fileno(), self.keypad.fileno()]
            if watch is not None:
                readable.append(watch.enclosure.fileno())
            select.select(readable, [], [], wait)
            self.check_enclosure()
            self.check_idle()
            for scan in self.scanner.read():
                self._answer(Input.SCAN, partial(self.on_scan, scan))
            for event in self.touch.read():
                target = self.frame.target_at(event.x, event.y) if self.frame else None
                if event.down:
                    self.pressed = target.id if target else None
                elif target is not None and target.id == self.pressed:
                    self.pressed = None
                    self._answer(Input.TAP, partial(self.on_tap, target.id))
            for key in self.keypad.read():
                self._answer(Input.KEY, partial(self.on_key, key))

    def _answer(self, kind: Input, handle: Callable[[], None]) -> None:
        """Handle one input, timed into the response log when there is one."""
        log = self.response_log
        if log is None:
            handle()
            return

        def answered() -> str | None:
            before = self.frame
            handle()
            return self.frame.name if self.frame is not None and self.frame is not before else None

        log.timed(kind, answered)

    def check_enclosure(self) -> None:
        """Read the seal switch (every turn of the loop, at least once a second): an opening
        is logged and stays on the poll worker's screen while the seal is open. The status
        LED is lit while the polls are open. With an enclosure controller, its events are
        logged and shown too, and the board config says whose seal switch is the seal."""
        watch, changed = self.enclosure_watch, False
        if watch is not None:
            changed = watch.check(self.polls.state is PollsState.OPEN, time.monotonic())
        if watch is not None and watch.authoritative_seal:
            seal = None if watch.enclosure.status is None else not watch.seal_open
            changed |= seal != self.seal
            self.seal = seal
        else:
            changed |= self._check_gpio_seal()
        # Only the waiting screen shows the enclosure; others show it when next drawn.
        if changed and self.view is View.IDLE:
            self.show()
        lit = self.polls.state is PollsState.OPEN
        if lit != self.led:
            self.gpio.set_status_led(lit)
            self.led = lit

    def _check_gpio_seal(self) -> bool:
        intact = self.gpio.seal_intact()
        if intact is not None and intact != self.seal:
            if self.seal is not None or not intact:  # at start-up only an open seal is news
                self.polls.log.append("seal_closed" if intact else "seal_opened")
            self.seal = intact
            return True
        return False

    def style(self) -> Style:
        """The panel's density, with the display modes the voter chose for this session."""
        voter = self.session if self.view in VOTER_VIEWS else None
        return Style(
            self.px_per_mm,
            large_text=voter is not None and voter.large_text,
            high_contrast=voter is not None and voter.high_contrast,
        )

    def show(self) -> None:
        screen = self._screen()
        plan = layout(screen, self.display.width, self.display.height, self.fonts, self.style())
        if self.session is not None and self.view in PAGED_VIEWS:
            # The page shown: larger text means fewer choices a page, so a page number
            # kept from before could point past the last page.
            self.session.page = plan.page
        self.frame = frame_of(plan, screen.name, self.fonts, self.keys.settle(plan))
        session = self.session
        if session is not None and session.screen_off and self.view in VOTER_VIEWS:
            self.frame = dark(self.frame)
        self.display.show(self.frame)
        self._speak(screen.name, plan)

    def _speak(self, name: str, plan: Layout) -> None:
        """Say the screen just shown, if the voter turned audio on."""
        if self.spoken is None:
            return
        session = self.session
        if session is None or not session.audio or self.view not in VOTER_VIEWS:
            self.spoken.quiet()
            return
        self.spoken.show(name, plan.page, plan.shown(), self.keys.focus, session.language)

    # --- printing with the printer's problems ---------------------------------------------

    def _run_print(self, job: Callable[[], PrinterProblem | None], then: View) -> bool:
        """Run a job that prints; on a printer problem keep it to retry. True when done."""
        problem = job()
        if problem is None:
            self.pending = None
            self.view = then
            return True
        self.pending = job
        self.after_print = then
        self.view = View.PRINTER_PROBLEM
        self.lines = (self._w(PRINTER_TEXT[problem.status]),)
        return False

    # --- input ------------------------------------------------------------------------------

    def on_scan(self, scan: Scan) -> None:
        data = scan.data.strip()
        card = chair.parse_card(data)
        if self.view in (View.READY, View.IDLE) and card is not None:
            self._chair_card(card, Purpose.OPEN if self.view is View.READY else Purpose.CLOSE)
        elif self.view is View.IDLE and self.polls.role is Role.VOTE:
            self._accept_code(data)
        elif self.view is View.IDLE:
            self._identify(scan)
        elif self.view is View.SHARES:
            self._share(data)
        elif self.view in (View.READY, View.COUNTED):
            self.polls.log.append("scan_rejected", reason="not_a_chair_card")
            self.lines = (self._w("That is not a chair card."),)
        else:
            return
        self.show()

    def on_tap(self, target: str) -> None:
        handler = getattr(self, f"_tap_{self.view.value}", None)
        self.idle.touched(self.polls.log.clock.now())
        if handler is not None:
            handler(target)
            self.show()

    def on_key(self, key: Key) -> None:
        """A key of the tactile keypad: it moves the focus, or acts as a tap on a target."""
        if key is Key.HELP and self.spoken is not None and self.session is not None:
            # The voter's own key turns audio on for their session: headphones plugged in,
            # nothing to find on a screen they may not see.
            self.session.audio = True
            self.spoken.again()
        target = self.keys.press(key)
        if target is not None:
            self.on_tap(target)
        else:
            self.idle.touched(self.polls.log.clock.now())
            self.show()

    # --- chair ------------------------------------------------------------------------------

    def _chair_card(self, card: chair.ChairCard, purpose: Purpose) -> None:
        election, precinct = self.polls.election, self.polls.precinct
        locked = self._locked_until()
        if locked is not None:
            self.lines = (
                self._w("Too many wrong PINs. The chair card is locked until {time}.").format(
                    time=locked.strftime("%H:%M UTC")
                ),
            )
            return
        if (card.election, card.precinct) != (election.id, precinct.code):
            self.polls.log.append("chair_auth_failed", reason="other_precinct")
            self.lines = (self._w("That chair card belongs to another precinct or election."),)
            return
        self.card, self.purpose, self.pin, self.lines = card, purpose, "", ()
        self.view = View.CHAIR_PIN

    def _locked_until(self) -> dt.datetime | None:
        """When the lockout ends, if CHAIR_ATTEMPTS failures stand since the last success.

        Every failure counts, whatever was scanned in between (a foreign card must not reset
        the count), and the count is read from the durable log, so restarts keep it."""
        events = self.polls.log.of_kind("chair_authenticated", "chair_auth_failed")
        failures = []
        for event in reversed(events):
            if event.kind != "chair_auth_failed":
                break
            failures.append(event)
        if len(failures) < CHAIR_ATTEMPTS:
            return None
        last = dt.datetime.strptime(failures[0].time, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=dt.UTC
        )
        until = last + CHAIR_LOCKOUT
        return until if self.polls.log.clock.now() < until else None

    def _tap_chair_pin(self, target: str) -> None:
        if target.startswith("digit-") and len(self.pin) < chair.PIN_DIGITS:
            self.pin += target.removeprefix("digit-")
        elif target == "erase":
            self.pin = self.pin[:-1]
        elif target == "cancel":
            self.view, self.lines = self._home(), ()
        elif target == "ok" and self.card is not None:
            if not chair.check(self.card, self.pin, self.polls.chair_verifier()):
                self.polls.log.append("chair_auth_failed", reason="wrong_pin")
                self.pin, self.lines = "", (self._w("Wrong PIN."),)
                if self._locked_until() is not None:
                    self.view = self._home()
                return
            self.polls.log.append("chair_authenticated", purpose=self.purpose.value)
            self.pin, self.card, self.lines = "", None, ()
            if self.purpose is Purpose.OPEN:
                self._open_polls()
            else:
                self.view = View.CLOSE_CONFIRM

    def _open_polls(self) -> None:
        election, polls = self.polls.election, self.polls
        today = (polls.log.clock.now() + election.utc_offset).date()
        if election.mode is Mode.OFFICIAL and today != election.date:
            self.view = View.READY
            self.lines = (
                self._w(
                    "The clock says {today}, the election is on {day}. Polls stay closed."
                ).format(today=today.isoformat(), day=election.date.isoformat()),
            )
        elif polls.box is not None and polls.box.count:
            self.view = View.READY
            self.lines = (self._w("The ballot box is not empty: the polls cannot be opened."),)
        else:
            self._run_print(polls.open_polls, View.IDLE)

    def _tap_close_confirm(self, target: str) -> None:
        if target != "close":
            self.view = View.IDLE
            return
        self.polls.close_polls()
        if self.polls.role is Role.IDENTIFY:
            # The desk holds no ballots: its protocol needs no key shares.
            self.polls.count_and_sign(None)
            self._run_print(self._publish, View.COUNTED)
        else:
            self._start_shares()

    # --- voters -------------------------------------------------------------------------

    def _identify(self, scan: Scan) -> None:
        self.lines = ()
        today = (self.polls.log.clock.now() + self.polls.election.utc_offset).date()
        document = classify(scan.data.strip(), scan.symbology, today=today)
        outcome = self.polls.identify(document)
        if outcome.decision in (Decision.ELIGIBLE, Decision.REISSUE_POSSIBLE):
            if not (outcome.position is not None and outcome.voter is not None):
                raise InvariantError("invariant broken: outcome.position is not None and outcom...")
            reissue = outcome.decision is Decision.REISSUE_POSSIBLE
            self.session = Session(outcome.position, outcome.voter, reissue=reissue)
            self.view = View.REISSUE_OFFER if reissue else View.VOTER_FOUND
            return
        if outcome.decision is Decision.OTHER_TERMINAL:
            if not (outcome.position is not None and outcome.voter is not None):
                raise InvariantError("invariant broken: outcome.position is not None and outcom...")
            found = self.polls.terminal_of(outcome.position)
            number, terminal = found if found else (0, None)
            self.view = View.OTHER_TERMINAL
            self.lines = (
                self._w(
                    "This voter is on the register of terminal {number} ({terminal}): "
                    "send them there. They cannot be given a ballot here."
                ).format(number=number, terminal=terminal.id if terminal else "?"),
                outcome.voter.full_name(),
            )
            return
        self.view = View.REFUSED
        self.lines = (self._w(REFUSALS[outcome.decision]),)
        if outcome.decision is Decision.INVALID_DOCUMENT and document.errors:
            # What kind of problem tells the poll worker whether scanning again can help.
            self.lines += (self._w(PROBLEM_TEXT[document.errors[0].problem]),)
        if outcome.voter is not None:
            self.lines = (*self.lines, outcome.voter.full_name())

    def _tap_voter_found(self, target: str) -> None:
        if target in ("issue", ISSUE_WITH_AUDIO):
            self._give(reissue=False, audio=target == ISSUE_WITH_AUDIO)
        else:
            self.session, self.view = None, View.IDLE

    def _tap_reissue_offer(self, target: str) -> None:
        if target in ("issue", ISSUE_WITH_AUDIO):
            self._give(reissue=True, audio=target == ISSUE_WITH_AUDIO)
        else:
            self.polls.refuse_reissue()
            self.session, self.view = None, View.IDLE

    def _give(self, reissue: bool, audio: bool = False) -> None:
        """Hand the identified voter a ballot here (`audio`: with the audio ballot on), or a
        coupon for the voting booth."""
        if not (self.session is not None and self.session.position is not None):
            raise InvariantError("invariant broken: self.session is not None and self.session.p...")
        self.polls.issue(self.session.position, reissue=reissue)
        if self.polls.role is Role.IDENTIFY:
            self.session = None
            self._run_print(self.polls.coupon_job(), View.COUPON)
        else:
            self.view = View.LANGUAGE
            self.session.audio = audio and self.spoken is not None

    def _tap_coupon(self, target: str) -> None:
        self.view = View.IDLE

    def _accept_code(self, data: str) -> None:
        problem = self.polls.accept_code(data)
        if problem is None:
            self.session = Session(None, None, reissue=False)
            self.view, self.lines = View.LANGUAGE, ()
        elif problem is CodeProblem.OTHER_BOOTH:
            # The voter has not chosen a language yet: the way to their booth in all four.
            booth = self.polls.refused_booth or ""
            booths = [b.id for b in self.polls.election.booths(self.polls.precinct.code)]
            number = booths.index(booth) + 1 if booth in booths else 0
            self.view = View.WRONG_BOOTH
            self.lines = tuple(
                translator(language)(CODE_TEXT[problem]).format(number=number, booth=booth)
                for language in VOTER_LANGUAGES
            )
        else:
            # The voter reads this before choosing a language: it is in all four.
            self.view, self.lines = View.REFUSED, every_language(CODE_TEXT[problem])

    def _tap_refused(self, target: str) -> None:
        self.view, self.lines = View.IDLE, ()

    _tap_other_terminal = _tap_refused
    _tap_wrong_booth = _tap_refused

    def _tap_recovered(self, target: str) -> None:
        self.view, self.lines = self._home(), ()

    def _tap_language(self, target: str) -> None:
        if self.session is None:
            raise InvariantError("invariant broken: self.session is not None")
        self.view = ballot_session.tap_language(self.session, target) or self.view

    def _contest(self) -> Contest:
        if self.session is None:
            raise InvariantError("invariant broken: self.session is not None")
        return ballot_session.contest_of(self.session, self.polls.election)

    def _tap_ballot(self, target: str) -> None:
        if self.session is None:
            raise InvariantError("invariant broken: self.session is not None")
        self.view = (
            ballot_session.tap_ballot(self.session, self.polls.election, target) or self.view
        )

    def _tap_review(self, target: str) -> None:
        if self.session is None:
            raise InvariantError("invariant broken: self.session is not None")
        if target == "cast" and self.polls.election.ballot_format == 2:
            # Encrypted now, once: the receipt shows this ciphertext's tracking code.
            session = self.session
            seal = partial(self.polls.seal_ballot, session.selections)
            log = self.response_log
            session.sealed = sealed = seal() if log is None else log.step(Step.ENCRYPT, seal)
            self._run_print(
                lambda: self.polls.print_document("receipt", self._sealed_data(sealed)),
                View.RECEIPT,
            )
            return
        if target == "cast":
            session = self.session
            self._run_print(
                lambda: self.polls.cast(session.selections, self._slip_data(session)), View.CAST
            )
            return
        self.view = (
            ballot_session.tap_review(self.session, self.polls.election, target) or self.view
        )

    def _tap_receipt(self, target: str) -> None:
        session = self.session
        if not (session is not None and session.sealed is not None):
            raise InvariantError("invariant broken: session is not None and session.sealed is n...")
        sealed = session.sealed
        if target == "cast":
            self._run_print(
                lambda: self.polls.cast(sealed.selections, self._slip_data(session), sealed.record),
                View.CAST,
            )
        elif target == "challenge":
            self._run_print(lambda: self.polls.challenge(sealed, session.language), View.CHALLENGED)
            if self.view is View.CHALLENGED:
                session.sealed = None  # spoiled: never cast

    def _tap_challenged(self, target: str) -> None:
        if self.session is None:
            raise InvariantError("invariant broken: self.session is not None")
        self.view = View.REVIEW

    def _tap_idle_warning(self, target: str) -> None:
        if self.session is None:
            raise InvariantError("invariant broken: self.session is not None")
        self.view = self.session.warned_view or View.BALLOT
        self.session.warned_view = None

    def _tap_timed_out(self, target: str) -> None:
        self.view = View.IDLE

    def check_idle(self) -> None:
        """Warn a voter who stopped touching the screen, then void their ballot: it goes
        back to the poll worker, who can issue it again (the log says so)."""
        now = self.polls.log.clock.now()
        session = self.session
        if self.view not in OPEN_BALLOT_VIEWS or session is None:
            self.idle.touched(now)
            return
        warned = session.warned_view is not None
        if not self.idle.due(now, warned):
            return
        if not warned:
            self.polls.log.append("ballot_idle_warning")
            session.warned_view, self.view = self.view, View.IDLE_WARNING
            self.idle.touched(now)
        else:
            self.polls.cancel("timed_out")
            self.session, self.view = None, View.TIMED_OUT
        self.show()

    def _tap_cast(self, target: str) -> None:
        self.session, self.view = None, View.IDLE

    def _tap_printer_problem(self, target: str) -> None:
        if target == "retry" and self.pending is not None:
            self._run_print(self.pending, self.after_print)

    # --- closing ------------------------------------------------------------------------

    def _start_shares(self) -> None:
        precinct = self.polls.precinct
        self.collector = ShareCollector(
            self.polls.election.id, precinct.code, precinct.sealing_key, precinct.share_cards
        )
        self.view, self.lines = View.SHARES, ()

    def _share(self, data: str) -> None:
        collector = self.collector
        if collector is None:
            raise InvariantError("invariant broken: collector is not None")
        # The key is rebuilt only in the key process, where the box is counted with it.
        result: ShareProblem | Count | None = collector.take(data)
        if result is None and collector.complete:
            result = count_with_shares(collector, self.polls.count_box)
            if isinstance(result, ShareProblem):
                collector.refused(result)
        member, count = collector.last_member, len(collector.registered)
        if isinstance(result, ShareProblem):
            self.polls.log.append("share_refused", problem=result.value)
            self.lines = (self._w(SHARE_TEXT[result]),)
            if member is not None:
                named = self._w("Key-share card {member} of {count}:")
                self.lines = (named.format(member=member, count=count), *self.lines)
            return
        if result is None:
            if member is None:
                self.lines = (self._w("Card accepted."),)
            else:
                accepted = self._w(
                    "Key-share card {member} of {count} accepted: {have} of {needed}."
                )
                self.lines = (
                    accepted.format(
                        member=member,
                        count=count,
                        have=len(collector.shares),
                        needed=collector.needed,
                    ),
                )
            return
        self.collector = None
        self.polls.count_and_sign(result)
        self._run_print(self._publish, View.COUNTED)

    def _publish(self) -> PrinterProblem | None:
        """Print the signed protocol if it is not printed yet, then export the bundle."""
        problem = self.polls.reprint_pending()
        if problem is None and not self.polls.exported():
            self._export()
        return problem

    def _export(self) -> bool:
        """Export the bundle; a stick holding links, pipes or device files is refused with
        nothing written (Polls.export checks it first). True when exported."""
        try:
            self.polls.export(self.export_dir)
        except UnsafeFileError as exc:
            self.lines = (self._w(STICK_REFUSED), str(exc))
            return False
        return True

    def _tap_counted(self, target: str) -> None:
        if target == "reprint":
            self._run_print(lambda: self.polls.print_document("protocol", {}), View.COUNTED)
        elif target == "export" and self._export():
            self.lines = (self._w("The results bundle was exported again."),)

    # --- screens --------------------------------------------------------------------------

    def _screen(self) -> Screen:
        return pages.build(self)

    # --- printouts ----------------------------------------------------------------------

    def _slip_data(self, session: Session) -> dict[str, object]:
        return {"language": session.language, "selections": dict(session.selections)}

    def _sealed_data(self, sealed: Spoiled) -> dict[str, object]:
        if self.session is None:
            raise InvariantError("invariant broken: self.session is not None")
        return {"language": self.session.language, "ballot": sealed}

    def _event_time(self, kind: str) -> dt.datetime | None:
        """When the last event of `kind` was logged, in the polling station's local time."""
        events = self.polls.log.of_kind(kind)
        if not events:
            return None
        moment = dt.datetime.fromisoformat(events[-1].time.replace("Z", "+00:00"))
        return moment.astimezone(dt.timezone(self.polls.election.utc_offset))

    def render_printout(self, kind: str, data: dict[str, object]) -> Image.Image:
        """Render one printout; called by Polls at the moment it prints."""
        polls, w = self.polls, self._w
        election, lang = polls.election, self.worker_language
        paper = printouts.Paper(polls.printer.width, self.fonts.regular, self.fonts.bold)
        # Reports show the polling station's local time.
        now = polls.log.clock.now().astimezone(dt.timezone(election.utc_offset))
        header = printouts.Header(
            election.name(lang),
            election.id,
            polls.precinct.code,
            polls.identity.terminal_id,
            election.mode,
        )
        if kind == "setup-report":
            package = polls.log.of_kind("package_loaded")[-1].data["package_sha256"]
            return printouts.setup_report(
                printouts.SetupReport(header, software_hash(), str(package), now), w, paper
            )
        # What the commission signs: in the state language and Russian.
        signed = printouts.commission_languages(election.country)
        signed_header = dataclasses.replace(
            header, election_name=printouts.named_in(election.names, signed)
        )
        if kind == "zero-report":
            if polls.box is None:
                raise InvariantError("invariant broken: polls.box is not None")
            checkpoint = Checkpoint.from_bytes(
                polls.checkpoint_bytes("open"), "checkpoint-open.txt", "open"
            )
            return printouts.zero_report(
                printouts.ZeroReport(
                    signed_header,
                    software_hash(),
                    printouts.contest_names(election, *signed),
                    polls.box.count,
                    checkpoint,
                    now,
                ),
                printouts.in_languages(signed),
                paper,
            )
        if kind == "slip":
            selections = data["selections"]
            language = data["language"]
            if not (isinstance(selections, dict) and isinstance(language, str)):
                raise InvariantError("invariant broken: isinstance(selections, dict) and isinst...")
            return render_slip(election, polls.precinct.code, language, selections, paper)
        if kind in ("receipt", "challenge"):
            ballot, language = data["ballot"], data["language"]
            if not (isinstance(ballot, Spoiled) and isinstance(language, str)):
                raise InvariantError("invariant broken: isinstance(ballot, Spoiled) and isinsta...")
            render = benaloh.render_receipt if kind == "receipt" else benaloh.render_challenge
            return render(election, language, ballot, paper)
        if kind == "protocol":
            body, signature = polls.protocol()
            return printouts.protocol(
                printouts.ProtocolPrintout(
                    Protocol.from_json(body),
                    signature,
                    signed_header.election_name,
                    printouts.contest_names(election, *signed),
                    now,
                    self._event_time("polls_opened"),
                    self._event_time("polls_closed"),
                ),
                printouts.in_languages(signed),
                paper,
            )
        if kind == "coupon":
            code, booth, number = data["code"], data["booth"], data["number"]
            if not (isinstance(code, str) and isinstance(booth, str) and isinstance(number, int)):
                raise InvariantError("invariant broken: isinstance(code, str) and isinstance(bo...")
            return printouts.coupon(
                printouts.Coupon(
                    election.name(lang),
                    polls.precinct.code,
                    election.mode,
                    code,
                    election.identification.ballot_code_minutes,
                    number,
                    booth,
                ),
                w,
                paper,
            )
        if kind == "void-notice":
            what = (
                printouts.Interrupted.BALLOT
                if data["printout"] == "slip"
                else printouts.Interrupted.PRINTOUT
            )
            return printouts.void_notice(what, election.mode, w, paper)
        raise ValueError(f"unknown printout {kind!r}")


def fatal_screen(reason: str, message: str, gettext: Gettext) -> Screen:
    """The screen a stopped terminal leaves up: what happened, in words, and the detail."""
    return Screen(
        f"fatal-{reason}",
        gettext("Terminal stopped"),
        (gettext(FATAL_TEXT[reason]), message),
        warning=True,
    )


def render_slip(
    election: Election,
    precinct: str,
    language: str,
    selections: dict[str, tuple[str, ...]],
    paper: printouts.Paper,
) -> Image.Image:
    """The voter's slip: the same pixels for the same choices, whoever and whenever."""
    slip = printouts.Slip(
        election.name(language),
        election.mode,
        tuple(
            printouts.SlipContest(
                c.title(language),
                tuple(ch.name(language) for ch in c.choices if ch.id in selections.get(c.id, ())),
            )
            for c in election.contests
        ),
        slip_code.encode(election, precinct, selections),
    )
    return printouts.slip(slip, translator(language), paper)

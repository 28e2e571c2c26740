"""The polls: every transition of the terminal's life, each asserting where it starts,
writing its events, and returning an error value for the failures a polling station
expects (printer out of paper, ballots already in the box). Unexpected failures raise.

    blank --install package--> ready --open (zero report)--> open --close--> closed
    closed --count with key shares, sign, print protocol--> counted --export--> counted

The state is derived from the event log at every start, and recover() settles whatever a
crash or power cut interrupted before the terminal takes any new input.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from PIL import Image

from terminal.app.identity import Identity
from terminal.app.software import software_hash
from terminal.ballot.election import Election, Mode, Precinct, Role, TerminalEntry
from terminal.ballot.package import (
    ELECTION_FILE,
    Package,
    PackageError,
    PrecinctKeys,
    load_package,
)
from terminal.hal.interfaces import Printer, PrinterStatus
from terminal.hal.storage import Storage
from terminal.idscan.ballot_codes import FILE_NAME as CODES_FILE
from terminal.idscan.ballot_codes import (
    CodeProblem,
    UsedCodes,
    check_code,
    code_hash,
    named_booth,
    new_code,
)
from terminal.idscan.eligibility import BARE_NUMBERS, Decision, Outcome, decide
from terminal.idscan.icao import ELECTION_NATIONALITY
from terminal.idscan.marks import FILE_NAME as MARKS_FILE
from terminal.idscan.marks import VoterMarks
from terminal.idscan.register import Register
from terminal.idscan.scans import Document
from terminal.invariants import InvariantError
from terminal.tally import bundle as bundle_format
from terminal.tally import decryption
from terminal.tally.ballot_box import FILE_NAME as BOX_FILE
from terminal.tally.ballot_box import BallotBox, commit, compact
from terminal.tally.count import Count, count_records, count_verifiable
from terminal.tally.enclosure_lines import protocol_lines
from terminal.tally.event_log import CHECKPOINT_REASONS, Checkpoint, Event, EventLog, origin
from terminal.tally.event_log import FILE_NAME as EVENTS_FILE
from terminal.tally.protocol import ContestResult, Protocol
from terminal.tally.sealing import Ballot, record_format, seal_for, seal_verifiable
from terminal.tally.spoiled import FILE as SPOILED_FILE
from terminal.tally.spoiled import Spoiled, SpoiledStore
from terminal.trust.chair import ChairVerifier
from terminal.trust.files import check_tree, read_file, write_private_file


class PollsState(Enum):
    BLANK = "blank"
    READY = "ready"
    OPEN = "open"
    CLOSED = "closed"
    COUNTED = "counted"


class Recovery(Enum):
    """What recover() found interrupted, for the poll worker's screen."""

    NOTHING = "nothing"
    BALLOT_CAST = "ballot_cast"
    BALLOT_VOID = "ballot_void"
    COUPON_VOID = "coupon_void"
    # A coupon was being printed: it may be complete and valid, so no second one is given.
    COUPON_INTERRUPTED = "coupon_interrupted"
    PRINT_INTERRUPTED = "print_interrupted"


class InconsistentStores(Exception):
    """The ballot box, the marks and the log disagree beyond what one crash can explain:
    the terminal stops and the commission must investigate (tampering or a failed card)."""


@dataclass(frozen=True)
class PrinterProblem:
    status: PrinterStatus


INSTALLED_PACKAGE = "package"


def polls_state(log: EventLog) -> PollsState:
    kinds = {e.kind for e in log.events}
    if "protocol_signed" in kinds:
        return PollsState.COUNTED
    if "polls_closed" in kinds:
        return PollsState.CLOSED
    if "polls_opened" in kinds:
        return PollsState.OPEN
    if "package_loaded" in kinds:
        return PollsState.READY
    return PollsState.BLANK


class Polls:
    """The terminal's stores and the transitions between polls states."""

    def __init__(
        self,
        identity: Identity,
        data: Path,
        storage: Storage,
        log: EventLog,
        printer: Printer,
        render: Callable[[str, dict[str, object]], Image.Image],
        board_role: Role = Role.COMBINED,
    ) -> None:
        self.identity = identity
        self.board_role = board_role
        self.data = data
        self.storage = storage
        self.log = log
        self.printer = printer
        self.render = render
        self.package: Package | None = None
        self.register: Register | None = None
        self.box: BallotBox | None = None
        self.marks: VoterMarks | None = None
        self.codes: UsedCodes | None = None
        self.keys: PrecinctKeys | None = None
        # The ballot's party logos, checked against the package and decoded, by SHA-256.
        self.logo_images: dict[str, Image.Image] = {}
        # The voter identified last (register position, and whether on a bare number): the
        # only one a ballot or coupon can be issued to.
        self.identified: tuple[int, bool] | None = None
        self.refused_booth: str | None = None  # the booth the last refused code was for

    # --- state derived from the log -------------------------------------------------

    @property
    def state(self) -> PollsState:
        return polls_state(self.log)

    @property
    def election(self) -> Election:
        if self.package is None:
            raise InvariantError("invariant broken: self.package is not None")
        return self.package.election

    @property
    def precinct(self) -> Precinct:
        entry = self.election.terminal(self.identity.terminal_id)
        if entry is None:
            raise InvariantError("invariant broken: entry is not None")
        precinct = self.election.precinct(entry.precinct)
        if precinct is None:
            raise InvariantError("invariant broken: precinct is not None")
        return precinct

    def count_events(self, kind: str, **match: object) -> int:
        return sum(
            1
            for e in self.log.events
            if e.kind == kind and all(e.data.get(k) == v for k, v in match.items())
        )

    @property
    def entry(self) -> TerminalEntry:
        entry = self.election.terminal(self.identity.terminal_id)
        if entry is None:
            raise InvariantError("invariant broken: entry is not None")
        return entry

    @property
    def role(self) -> Role:
        return self.entry.role

    @property
    def _issue_kind(self) -> str:
        """What this terminal gives a voter: a coupon at the identification desk, else a ballot."""
        return "coupon_issued" if self.role is Role.IDENTIFY else "ballot_issued"

    @property
    def _void_kind(self) -> str:
        return "coupon_void" if self.role is Role.IDENTIFY else "ballot_void"

    @property
    def void_credits(self) -> int:
        """Ballots (or coupons) proven never given that may be re-issued to a marked voter."""
        return self.count_events(self._void_kind) - self.count_events(
            self._issue_kind, reissue=True
        )

    @property
    def recorded(self) -> int:
        """How many first issues the position-addressed store records: marks, or used codes."""
        if self.codes is not None:
            return self.codes.count
        if self.marks is None:
            raise InvariantError("invariant broken: self.marks is not None")
        return self.marks.count

    def session_open(self) -> bool:
        """True when a ballot was issued and is neither cast nor void yet (at the desk: a
        coupon issued whose printing has not begun)."""
        if self.role is Role.IDENTIFY:
            kinds = ("coupon_issued", "coupon_void", "print_started")
        else:
            kinds = ("ballot_issued", "ballot_cast", "ballot_void")
        last = [e for e in self.log.events if e.kind in kinds]
        return bool(last) and last[-1].kind == kinds[0]

    def open_print(self) -> str | None:
        """The kind of printout begun and not finished, if any."""
        current = None
        for e in self.log.events:
            if e.kind == "print_started":
                current = e.data["printout"]
            elif e.kind in ("print_finished", "print_interrupted"):
                current = None
        return current

    # --- start-up ---------------------------------------------------------------------

    def load(self) -> None:
        """Open the installed package and the stores (after setup)."""
        self.package = load_package(self.data / INSTALLED_PACKAGE, self.identity.commission)
        self.logo_images = self.package.logo_images()
        self._open_stores(create=False)
        if self.box is None:
            raise InvariantError("invariant broken: self.box is not None")
        filled, damaged = self.box.count, len(self.box.damaged)
        checked = self.log.of_kind("ballot_box_checked")
        if not checked or checked[-1].data != {"filled": filled, "damaged": damaged}:
            self.log.append("ballot_box_checked", filled=filled, damaged=damaged)

    def chair_verifier(self) -> ChairVerifier:
        """The chair's PIN verifier, which only this precinct's terminals can open."""
        if self.keys is None:
            raise RuntimeError("the precinct's keys are not open: no package installed")
        return self.keys.chair

    def _open_stores(self, create: bool) -> None:
        """The precinct's keys and register (in memory) and the stores this role keeps:
        the desk marks voters, the booth records codes, the booth and a combined terminal
        keep a ballot box (the desk's has no slot)."""
        if self.package is None:
            raise InvariantError("invariant broken: self.package is not None")
        precinct, role = self.precinct, self.role
        self.keys = self.package.keys(self.identity.terminal_id, self.identity.decryption)
        if role is Role.VOTE:
            self.codes = UsedCodes(self.storage, precinct.voters)
        else:
            self.register = self.package.register(precinct.code, self.keys)
            self.marks = VoterMarks(self.storage, precinct.voters, self.identity.device)
        signer = self.identity.key.public
        shape = record_format(self.package.election)
        if create:
            slots = 0 if role is Role.IDENTIFY else precinct.ballot_slots
            self.box = BallotBox.create(self.storage, signer, slots, shape)
        else:
            self.box = BallotBox.open(self.storage, signer, shape)

    def install(self, source: Path) -> PrinterProblem | None:
        """blank -> ready: verify the package against the pinned commission key and install it."""
        if self.state is not PollsState.BLANK:
            raise InvariantError("invariant broken: self.state is PollsState.BLANK")
        try:
            check_tree(source)  # a package medium with links, FIFOs or devices: refused
        except OSError as exc:
            raise PackageError(f"package: {exc}") from exc
        package = load_package(source, self.identity.commission)
        entry = package.election.terminal(self.identity.terminal_id)
        if entry is None:
            raise PermissionError(
                f"terminal {self.identity.terminal_id} is not registered in this package"
            )
        if self.board_role is not entry.role:
            raise PermissionError(
                f"this board is set up as {self.board_role.value}, the package registers "
                f"terminal {entry.id} as {entry.role.value}"
            )
        registered = package.terminal_key(entry.id)
        if registered.raw() != self.identity.key.public.raw():
            raise PermissionError("the package registers another key for this terminal id")
        precinct = package.election.precinct(entry.precinct)
        if precinct is None:
            raise InvariantError("invariant broken: precinct is not None")
        # A blank log beside stores that hold something is a lost or replaced log, not a
        # new terminal: installing over them would take over their marks and ballots.
        for name in (MARKS_FILE, BOX_FILE, CODES_FILE):
            if self.storage.exists(name) and any(self.storage.read(name)):
                raise InconsistentStores(f"{name} holds data, but the log records no installation")
        if entry.role is Role.IDENTIFY and not package.election.booths(precinct.code):
            raise PermissionError(
                f"the package registers no voting booth for precinct {precinct.code}: "
                "the desk's coupons would be good nowhere"
            )
        # Check the keys and the register open before anything is written.
        keys = package.keys(entry.id, self.identity.decryption)
        if entry.role is not Role.VOTE:
            package.register(precinct.code, keys)
        logos = package.logo_images()  # an altered or unreadable logo: refused before any write
        target = self.data / INSTALLED_PACKAGE
        if target.exists():
            shutil.rmtree(target)
        # The terminal's copy is private like all its data (the register stays encrypted).
        for path in sorted(source.rglob("*")):
            if path.is_file():
                write_private_file(target / path.relative_to(source), read_file(path))
        self.package = load_package(target, self.identity.commission)
        self.logo_images = logos  # the copy's are the same files (each start checks them)
        self._open_stores(create=True)
        if self.box is None:
            raise InvariantError("invariant broken: self.box is not None")
        self.log.append(
            "package_loaded",
            election=package.election.id,
            precinct=precinct.code,
            terminal=entry.id,
            mode=package.election.mode.value,
            package_sha256=hashlib.sha256((target / ELECTION_FILE).read_bytes()).hexdigest(),
        )
        self.log.append("ballot_box_created", slots=self.box.slots)
        return self.print_document("setup-report", {})

    def recover(self) -> Recovery:
        """Settle what a crash interrupted. Runs before any new input is taken."""
        if self.box is None:
            raise InvariantError("invariant broken: self.box is not None")
        cast_logged = self.count_events("ballot_cast")
        result = Recovery.NOTHING
        if self.box.count == cast_logged + 1 and self.session_open():
            # The ballot reached the box before the crash: it counts, and its slip's raster
            # was complete before the store, so cutting the paper finishes the slip.
            self.log.append("ballot_cast", recovered=True)
        elif self.box.count != cast_logged:
            raise InconsistentStores(
                f"the ballot box holds {self.box.count} ballots and {len(self.box.damaged)} "
                f"damaged slots, the log records {cast_logged} ballots cast"
            )
        issue, void = self._issue_kind, self._void_kind
        first = self.count_events(issue, reissue=False)
        recorded = self.recorded
        if self.codes is not None and self.codes.suspects:
            suspects = self.codes.suspects
            if len(suspects) == 1 and recorded == first:
                # Every code the log says was used is there and valid: the one entry that is
                # not was being written when the power went, and its ballot was never shown.
                self.codes.clear(suspects[0])
                self.log.append("used_code_cleared")
            else:
                raise InconsistentStores(
                    f"{CODES_FILE} bytes {', '.join(map(str, suspects))}: used-code entries "
                    f"damaged (their check fails); {recorded} valid entries, the log records "
                    f"{first} codes used"
                )
        if recorded == first + 1:
            # A mark (or used code) was recorded just before a crash; nothing was given yet.
            self.log.append(issue, reissue=False)
        elif recorded != first:
            raise InconsistentStores(
                f"{recorded} voters are marked (or codes used), the log records {first} issued"
            )
        pending = self.open_print()
        if self.session_open():
            if pending == "slip":
                self._void_open_print()
            self.log.append(void, reason="interrupted")
            result = Recovery.COUPON_VOID if self.role is Role.IDENTIFY else Recovery.BALLOT_VOID
        elif pending == "slip":
            # The ballot was cast and logged; its slip lacks only the cut.
            self.printer.cut()
            self.log.append("print_finished", printout="slip")
            result = Recovery.BALLOT_CAST
        elif pending == "coupon":
            # Fails safe: the coupon may be complete, so its voter gets no second one here.
            self._void_open_print()
            result = Recovery.COUPON_INTERRUPTED
        if self.open_print() is not None:
            self._void_open_print()
            result = result if result is not Recovery.NOTHING else Recovery.PRINT_INTERRUPTED
        if self.state is PollsState.CLOSED and not self._after_last(
            "polls_closed",
            lambda e: e.kind == "checkpoint_signed" and e.data["reason"] == "close",
        ):
            # A cut between polls_closed and its checkpoint: sign it now. It pins a longer
            # log, which holds the close and nothing cast after it.
            self._checkpoint("close")
        return result

    # --- printing -------------------------------------------------------------------------

    def _void_open_print(self) -> None:
        kind = self.open_print()
        if kind is None:
            raise InvariantError("invariant broken: kind is not None")
        self.printer.abandon()
        self.printer.print_image(self.render("void-notice", {"printout": kind}))
        self.printer.cut()
        self.log.append("print_interrupted", printout=kind)

    def _printer_ready(self) -> PrinterProblem | None:
        status = self.printer.status()
        return None if status is PrinterStatus.OK else PrinterProblem(status)

    def print_document(self, kind: str, data: dict[str, object]) -> PrinterProblem | None:
        """Print one whole printout, or report the printer's problem (retry after fixing it)."""
        if self.open_print() is not None:
            self._void_open_print()
        problem = self._printer_ready()
        if problem:
            return problem
        image = self.render(kind, data)
        self.log.append("print_started", printout=kind)
        self.printer.print_image(image)
        problem = self._printer_ready()
        if problem:
            return problem
        self.printer.cut()
        self.log.append("print_finished", printout=kind)
        return None

    def reprint_pending(self) -> PrinterProblem | None:
        """After a restart in a state whose printout did not finish, print it again."""
        state = self.state
        if state is PollsState.READY and not self.count_events(
            "print_finished", printout="setup-report"
        ):
            return self.print_document("setup-report", {})
        printed = self._after_last(
            "protocol_signed",
            lambda e: e.kind == "print_finished" and e.data["printout"] == "protocol",
        )
        if state is PollsState.COUNTED and not printed:
            return self.print_document("protocol", {})
        return None

    def exported(self) -> bool:
        """True when a bundle was exported after the protocol was signed."""
        return self._after_last("protocol_signed", lambda e: e.kind == "bundle_exported")

    def _after_last(self, kind: str, wanted: Callable[[Event], bool]) -> bool:
        """True when an event that is `wanted` follows the last event of `kind`."""
        seen = False
        for e in self.log.events:
            if e.kind == kind:
                seen = False
            elif wanted(e):
                seen = True
        return seen

    # --- checkpoints --------------------------------------------------------------------

    def _checkpoint(self, reason: str) -> None:
        cp = Checkpoint(
            origin(self.election.id, self.precinct.code, self.identity.terminal_id),
            len(self.log.events),
            self.log.head,
            reason,
        )
        body = cp.to_bytes()
        self.storage.replace(f"checkpoint-{reason}.txt", body)
        self.storage.replace(f"checkpoint-{reason}.txt.sig", self.identity.key.sign(body))
        self.log.append("checkpoint_signed", reason=reason, size=cp.size)

    def checkpoint_bytes(self, reason: str) -> bytes:
        return self.storage.read(f"checkpoint-{reason}.txt")

    # --- opening ------------------------------------------------------------------------

    def open_polls(self) -> PrinterProblem | None:
        """ready -> open: print the zero report, sign the opening checkpoint.

        The caller checks first that the box is empty: opening over ballots is never allowed.
        """
        if not (self.state is PollsState.READY and self.box is not None and self.box.count == 0):
            raise InvariantError("invariant broken: self.state is PollsState.READY and self.box...")
        # The checkpoint is signed first so that the zero report can print it: the paper then
        # pins what every later copy of the log must extend.
        self._checkpoint("open")
        problem = self.print_document("zero-report", {})
        if problem:
            return problem
        self.log.append("polls_opened")
        return None

    # --- voters -------------------------------------------------------------------------

    def identify(self, document: Document) -> Outcome:
        """Decide on a scanned document; a refusal is logged with its reason code only."""
        if not (self.state is PollsState.OPEN and self.register and self.marks):
            raise InvariantError("invariant broken: self.state is PollsState.OPEN and self.regi...")
        marks = self.marks
        outcome = decide(
            document,
            self.register,
            self.election.identification,
            self.election.date,
            marks.issued,
            self.void_credits > 0,
            ELECTION_NATIONALITY[self.election.country],
            self.entry.register_part,
        )
        self.identified = None
        if outcome.decision not in (Decision.ELIGIBLE, Decision.REISSUE_POSSIBLE):
            self.log.append("voter_refused", reason=outcome.decision.value)
        else:
            if outcome.position is None:
                raise InvariantError("invariant broken: outcome.position is not None")
            self.identified = (outcome.position, document.kind in BARE_NUMBERS)
        return outcome

    def terminal_of(self, position: int) -> tuple[int, TerminalEntry] | None:
        """The terminal (number from 1, entry) whose part of the register holds a voter."""
        marking = self.election.marking_terminals(self.precinct.code)
        for number, entry in enumerate(marking, 1):
            if entry.register_part is None or position in entry.register_part:
                return number, entry
        return None

    def refuse_reissue(self) -> None:
        self.log.append("voter_refused", reason=Decision.ALREADY_VOTED.value)

    def issue(self, position: int, reissue: bool) -> None:
        """Give the voter identified last a ballot (combined) or a coupon (desk): the mark
        is durable first."""
        if not (self.state is PollsState.OPEN and self.marks is not None):
            raise InvariantError("invariant broken: self.state is PollsState.OPEN and self.mark...")
        if self.session_open():
            raise InvariantError("invariant broken: not self.session_open()")
        if self.identified is None or self.identified[0] != position:
            raise PermissionError("a ballot is issued only to the voter identified last")
        if reissue:
            if not (self.marks.issued(position) and self.void_credits > 0):
                raise InvariantError("invariant broken: self.marks.issued(position) and self.vo...")
        else:
            if self.marks.issued(position):
                raise InvariantError("invariant broken: not self.marks.issued(position)")
            self.marks.mark(position)
        self.log.append(self._issue_kind, reissue=reissue)
        if self.identified[1]:
            self.log.append("issued_on_bare_number")
        self.identified = None

    def next_booth(self) -> TerminalEntry:
        """The booth the desk sends the next voter to: the one it has sent fewest codes to
        so far (the first in the package on a tie), so the booths take turns."""
        booths = self.election.booths(self.precinct.code)
        sent = {b.id: 0 for b in booths}
        for event in self.log.of_kind("ballot_code_issued"):
            if event.data["booth"] in sent:
                sent[event.data["booth"]] += 1
        return min(booths, key=lambda b: sent[b.id])

    def coupon_job(self) -> Callable[[], PrinterProblem | None]:
        """The printing of a new coupon for the next booth; run again after a printer
        problem, it prints the same code, so at most one valid code exists for each coupon
        issued. The code is logged (as its hash, with its booth) before it is printed."""
        if self.keys is None:
            raise InvariantError("invariant broken: self.keys is not None")
        minute = int(self.log.clock.now().timestamp()) // 60
        booth = self.next_booth()
        code = new_code(self.election.id, self.precinct.code, booth.id, minute)
        payload = code.payload(self.keys.code_key)
        self.log.append("ballot_code_issued", booth=booth.id, code=code_hash(payload))
        number = self.election.booths(self.precinct.code).index(booth) + 1
        data: dict[str, object] = {"code": payload, "booth": booth.id, "number": number}
        return lambda: self.print_document("coupon", data)

    def _voided_codes(self) -> set[str]:
        """Codes whose ballot was proven not cast and not given again: each may be taken once
        more, and only by its own voter (the credit is the code's, not the booth's)."""
        voided: set[str] = set()
        current = None
        for event in self.log.events:
            if event.kind == "ballot_code_used":
                current = event.data["code"]
            elif event.kind == "ballot_issued" and event.data["reissue"]:
                voided.discard(current or "")
            elif event.kind == "ballot_void" and current is not None:
                voided.add(current)
        return voided

    def accept_code(self, payload: str) -> CodeProblem | None:
        """At the booth: open a ballot for a valid, unused code of this precinct issued for
        this booth. A genuine code for another booth is refused and the booth it names is
        kept in refused_booth for the voter's screen."""
        if not (self.state is PollsState.OPEN and self.codes is not None and self.keys):
            raise InvariantError("invariant broken: self.state is PollsState.OPEN and self.code...")
        if self.session_open():
            raise InvariantError("invariant broken: not self.session_open()")
        minute = int(self.log.clock.now().timestamp()) // 60
        limit = self.election.identification.ballot_code_minutes
        code = check_code(
            payload,
            self.election.id,
            self.precinct.code,
            self.identity.terminal_id,
            self.keys.code_key,
            minute,
            limit,
        )
        self.refused_booth = None
        if code is CodeProblem.OTHER_BOOTH:
            self.refused_booth = named_booth(payload)
            self.log.append("ballot_code_other_booth", booth=self.refused_booth)
            return code
        if isinstance(code, CodeProblem):
            self.log.append("ballot_code_refused", reason=code.value)
            return code
        digest = code_hash(payload)
        if self.codes.used(code):
            if digest in self._voided_codes():
                # This code's ballot was proven not cast (a crash): its voter may vote with it.
                self.log.append("ballot_code_used", code=digest)
                self.log.append("ballot_issued", reissue=True)
                return None
            self.log.append("ballot_code_refused", reason=CodeProblem.USED.value)
            return CodeProblem.USED
        # Logged before the table is written: the host then knows every code this booth
        # may have taken, whatever moment a power cut falls at.
        self.log.append("ballot_code_used", code=digest)
        self.codes.use(code)
        self.log.append("ballot_issued", reissue=False)
        return None

    def cancel(self, reason: str = "cancelled") -> None:
        """A ballot given up before it is cast (the poll worker cancels it, or the voter
        left it untouched: "timed_out"): void, re-issuable."""
        if not self.session_open():
            raise InvariantError("invariant broken: self.session_open()")
        self.log.append("ballot_void", reason=reason)

    def seal_ballot(self, selections: dict[str, tuple[str, ...]]) -> Spoiled:
        """Encrypt a reviewed format-2 ballot (nothing stored yet): its record, to cast as is
        or to spoil, and its nonces, held in memory only until the voter decides."""
        if not (self.state is PollsState.OPEN and self.session_open()):
            raise InvariantError("invariant broken: self.state is PollsState.OPEN and self.sess...")
        ballot = Ballot(
            self.election.id, self.precinct.code, self.election.mode is Mode.TEST, selections
        )
        record, _, nonces = seal_verifiable(ballot, self.election, self.precinct, self.identity.key)
        return Spoiled(record, dict(selections), nonces)

    def challenge(self, ballot: Spoiled, language: str) -> PrinterProblem | None:
        """Spoil a challenged ballot (Benaloh): keep it durably in the spoiled store, never
        in the box, then print its choices and nonces. The ballot stays open: the voter
        votes again with the same code; a cut anywhere here voids it as interrupted, which
        leaves the code usable, and a spoiled ballot is never counted."""
        if not (self.state is PollsState.OPEN and self.session_open()):
            raise InvariantError("invariant broken: self.state is PollsState.OPEN and self.sess...")
        if self.open_print() is not None:
            self._void_open_print()
        problem = self._printer_ready()
        if problem:
            return problem
        SpoiledStore(self.storage).add(ballot)
        return self.print_document("challenge", {"ballot": ballot, "language": language})

    def cast(
        self,
        selections: dict[str, tuple[str, ...]],
        slip: dict[str, object],
        sealed: bytes | None = None,
    ) -> PrinterProblem | None:
        """Print the slip, store the sealed ballot durably, then cut: the voter's ballot is cast.

        The slip's raster is sent before the store and the cut after it, so a crash at any
        point leaves either a cast ballot whose slip only lacks the cut (recover() cuts it) or
        an uncast ballot whose partial slip recover() marks void.
        """
        if not (self.state is PollsState.OPEN and self.session_open() and self.box is not None):
            raise InvariantError("invariant broken: self.state is PollsState.OPEN and self.sess...")
        if self.open_print() is not None:
            self._void_open_print()
        problem = self._printer_ready()
        if problem:
            return problem
        ballot = Ballot(
            self.election.id, self.precinct.code, self.election.mode is Mode.TEST, selections
        )
        # A format-2 ballot is the one whose tracking code the receipt shows.
        record = sealed or seal_for(ballot, self.election, self.precinct, self.identity.key)
        image = self.render("slip", slip)
        self.log.append("print_started", printout="slip")
        self.printer.print_image(image)
        problem = self._printer_ready()
        if problem:
            return problem
        self.box.cast(record)
        self.log.append("ballot_cast", recovered=False)
        self.printer.cut()
        self.log.append("print_finished", printout="slip")
        return None

    # --- closing ------------------------------------------------------------------------

    def close_polls(self) -> None:
        """open -> closed: no ballot can be cast after this; the closing checkpoint is signed."""
        if not (self.state is PollsState.OPEN and not self.session_open()):
            raise InvariantError("invariant broken: self.state is PollsState.OPEN and not self....")
        self.log.append("polls_closed")
        self._checkpoint("close")

    def count_box(self, private_key: bytes) -> Count:
        """Decrypt and count the box. Runs where the key is: in the key process at close
        (terminal/tally/key_process.py), never in the terminal's own process."""
        if self.box is None:
            raise InvariantError("invariant broken: self.box is not None")
        if self.election.ballot_format == 2:
            # The sums of the ciphertexts, decrypted and proven; no ballot is decrypted.
            return count_verifiable(
                self.box.records(),
                self.identity.key.public,
                private_key,
                self.election,
                self.precinct,
                self.identity.terminal_id,
            )
        return count_records(
            self.box.records(),
            self.identity.key.public,
            private_key,
            self.election,
            self.precinct.code,
        )

    def count_and_sign(self, counted: Count | None) -> PrinterProblem | None:
        """closed -> counted: record the count of the box, sign the protocol, print it.

        The identification desk has no ballots: it signs its protocol without a count.
        """
        if not (self.state is PollsState.CLOSED and self.box is not None):
            raise InvariantError("invariant broken: self.state is PollsState.CLOSED and self.bo...")
        election, precinct, terminal = self.election, self.precinct, self.identity.terminal_id
        records = self.box.records()
        if counted is None:
            if records:
                raise InconsistentStores("the box holds ballots: it cannot close without a count")
            counted = count_records(
                [], self.identity.key.public, bytes(32), election, precinct.code
            )
        if counted.ballots != len(records):
            raise InconsistentStores(
                f"{counted.ballots} ballots counted, the box holds {len(records)}"
            )
        if counted.decryption is not None:
            # Ballot format 2: the totals are these proven decryptions, kept for the bundle.
            proofs = counted.decryption.to_json()
            self.storage.replace(decryption.FILE, proofs)
            self.storage.replace(decryption.FILE + ".sig", self.identity.key.sign(proofs))
        self.log.append("ballots_counted", ballots=counted.ballots)
        exported = compact(records)
        size = record_format(election).size
        commitment = commit(election.id, precinct.code, terminal, exported, size).to_json()
        self.storage.replace("ballots.commitment.json", commitment)
        self.storage.replace("ballots.commitment.json.sig", self.identity.key.sign(commitment))
        close = Checkpoint.from_bytes(
            self.storage.read("checkpoint-close.txt"), "checkpoint-close.txt", "close"
        )
        protocol = Protocol(
            election=election.id,
            precinct=precinct.code,
            terminal=terminal,
            mode=election.mode.value,
            software=software_hash(),
            lines={
                "voters_on_register": precinct.voters,
                "voters_received_ballot": self.marks.count if self.marks else 0,
                "ballots_issued": self.count_events("ballot_issued"),
                "ballots_void": self.count_events("ballot_void"),
                "ballots_cast": self.box.count,
                "damaged_slots": len(self.box.damaged),
                "coupons_issued": self.count_events("coupon_issued"),
                "coupons_void": self.count_events("coupon_void"),
                "codes_refused": self.count_events("ballot_code_refused")
                + self.count_events("ballot_code_other_booth"),
                "issued_on_bare_number": self.count_events("issued_on_bare_number"),
                **protocol_lines(self.log),
            },
            contests={
                c.id: ContestResult(counted.votes[c.id], counted.blank[c.id])
                for c in election.contests
            },
            ballots_commitment=hashlib.sha256(commitment).hexdigest(),
            log_size=close.size,
            log_head=close.head,
        ).to_json()
        self.storage.replace("protocol.json", protocol)
        self.storage.replace("protocol.json.sig", self.identity.key.sign(protocol))
        self.log.append("protocol_signed", protocol_sha256=hashlib.sha256(protocol).hexdigest())
        return self.print_document("protocol", {})

    def protocol(self) -> tuple[bytes, bytes]:
        return self.storage.read("protocol.json"), self.storage.read("protocol.json.sig")

    def export(self, target: Path) -> None:
        """Write the results bundle to the export medium (again, whenever asked).

        A medium whose export directory holds links, FIFOs or device files is refused with
        UnsafeFileError before anything is written or logged."""
        if not (self.state is PollsState.COUNTED and self.box is not None):
            raise InvariantError("invariant broken: self.state is PollsState.COUNTED and self.b...")
        check_tree(target)
        # The log as the export checkpoint pins it, every record: the checkpoint_signed
        # record that follows is in the next export.
        events = self.storage.read(EVENTS_FILE)
        self._checkpoint("export")
        files: dict[str, bytes] = {}
        names = ["protocol.json", "ballots.commitment.json"]
        if self.storage.exists(decryption.FILE):
            names.append(decryption.FILE)
        if self.election.ballot_format == 2:
            files[SPOILED_FILE] = SpoiledStore(self.storage).exported()
        for name in names:
            files[name] = self.storage.read(name)
            files[name + ".sig"] = self.storage.read(name + ".sig")
        for reason in CHECKPOINT_REASONS:
            body = f"checkpoint-{reason}.txt"
            files[bundle_format.checkpoint_name(reason)] = self.storage.read(body)
            files[bundle_format.checkpoint_name(reason) + ".sig"] = self.storage.read(body + ".sig")
        files[bundle_format.EVENTS] = events
        files[bundle_format.BALLOTS] = compact(self.box.records())
        files[bundle_format.TERMINAL_KEY] = self.identity.key.public.pem()
        ids = {
            "election": self.election.id,
            "precinct": self.precinct.code,
            "terminal": self.identity.terminal_id,
        }
        bundle_format.write_bundle(target, files, self.identity.key, ids)
        self.log.append("bundle_exported")

"""Thermal printouts: setup and zero reports, the voter's slip, the results protocol, void notices.

Every printout is a 1-bit Pillow image as wide as the printer's head (384 dots on 58 mm paper,
576 on 80 mm), for hal.interfaces.Printer.print_image. Text is drawn with DejaVu Sans, so
Kyrgyz and Kazakh letters (ң ө ү ә ғ қ ұ һ і) print whatever code pages the printer has.
Fixed headings go through the caller's `gettext`, so a printout speaks the language the
caller chose; names (election, contests, choices) come in the data, already in that language.

Only the data passed in is printed: nothing here reads a clock, a counter or a random
source, so the voter's slip, which must never carry time, order or identity, is a pure
function of the choices on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

import numpy as np
import segno
from PIL import Image, ImageDraw, ImageFont

from terminal.app.i18n import N_, translator
from terminal.ballot.election import Election, Mode, localized
from terminal.tally.event_log import Checkpoint, origin
from terminal.tally.protocol import ENCLOSURE_OPENINGS, LINES, SLIPS_COUNTED, Protocol, qr_parts

DEJAVU_SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DEJAVU_SANS_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

# Type sizes in dots. At 203 dpi (8 dots/mm) 22 dots is a 2.75 mm line: easy to read on a
# receipt without spending much paper. Sizes stay the same on wider paper, as dots do.
SMALL = 18
BODY = 22
HEADING = 26
TITLE = 30
BANNER = 84
MARGIN = 4  # dots kept clear at each side, so text never runs into the edge of the head
GAP = 10  # dots between blocks
FEED = 40  # dots of blank paper at the end, so the cutter never cuts through text
RULE = 2  # thickness of a separating line, in dots

QR_ERROR = "m"
# The signed protocol's codes: level M at 5 dots a module, which a faded, blurred,
# JPEG-compressed phone photo still reads (tests/qr_degradation.py; 4 dots do not).
PROTOCOL_QR_ERROR, PROTOCOL_QR_MODULE = "m", 5
# A dead print-head dot is a white line down the whole printout; through a finder pattern's
# centre it makes that code unreadable (about 6 modules of each finder are fatal). So every
# protocol code is printed twice, the copies shifted by at least this many modules, which
# no single dot column can hit in both.
PROTOCOL_QR_SHIFT = 7
# The slip's code is read back from paper by the audit, photographed or scanned: large
# modules (a short payload at 320 dots is 7-9 dots a module) survive fading and blur.
SLIP_QR_WIDTH = 320
QR_QUIET_ZONE = 4  # modules of white around each code, as ISO/IEC 18004 requires
# Thermal prints blur: below 4 dots (0.5 mm) a module, codes stop scanning reliably.
QR_MIN_MODULE = 4

Gettext = Callable[[str], str]


class PrintoutError(Exception):
    """A printout cannot be rendered as asked: a missing font, or a QR code too large."""


class Interrupted(Enum):
    """What a crash cut off, for void_notice."""

    BALLOT = "ballot"  # the voter's slip: that ballot was not cast
    PRINTOUT = "printout"  # a report or protocol: it is printed again after the notice


@dataclass(frozen=True)
class Paper:
    """The printer's head width in dots and the fonts text is drawn with."""

    width: int = 384
    font: str = DEJAVU_SANS
    bold_font: str = DEJAVU_SANS_BOLD


@dataclass(frozen=True)
class Header:
    """What every report starts with: which election, precinct and terminal printed it."""

    election_name: str
    election_id: str
    precinct: str
    terminal: str
    mode: Mode


@dataclass(frozen=True)
class ContestNames:
    """A contest's title and its choices (id to name) in ballot order, in one language."""

    id: str
    title: str
    choices: dict[str, str]


@dataclass(frozen=True)
class SetupReport:
    header: Header
    software_sha256: str  # hex
    package_sha256: str  # hex
    printed_at: dt.datetime


@dataclass(frozen=True)
class ZeroReport:
    """Printed as the polls open: `printed_at` is the opening time it states."""

    header: Header
    software_sha256: str  # hex
    contests: tuple[ContestNames, ...]
    ballots_in_box: int  # filled slots found in the ballot box when the report is printed
    checkpoint: Checkpoint  # the signed opening checkpoint of the event log
    printed_at: dt.datetime


@dataclass(frozen=True)
class SlipContest:
    """One contest on the voter's slip; no choice at all means the contest was left blank."""

    title: str
    chosen: tuple[str, ...]


@dataclass(frozen=True)
class Slip:
    """The voter's paper slip: the choices and nothing that could tell whose or when."""

    election_name: str
    mode: Mode
    contests: tuple[SlipContest, ...]
    code: str  # the same choices as a QR payload (terminal/ballot/slip_code.py)


@dataclass(frozen=True)
class Receipt:
    """The voter's receipt: the encrypted ballot's tracking code, and no choice."""

    election_name: str
    mode: Mode
    tracking_code: str  # terminal/tally/tracking.py: 8 groups of 4


@dataclass(frozen=True)
class Challenge:
    """A challenged (spoiled) ballot: its code, its choices and every encryption nonce."""

    election_name: str
    mode: Mode
    tracking_code: str
    contests: tuple[SlipContest, ...]
    nonces: tuple[tuple[str, ...], ...]  # hex, per contest per option, as in spoiled.json


@dataclass(frozen=True)
class Coupon:
    """The voter's coupon from the identification desk: a one-time ballot code, nothing about
    the voter, and no time in words (the code carries the minute it was issued, for its
    time limit)."""

    election_name: str
    precinct: str
    mode: Mode
    code: str
    minutes: int  # how long the code is valid
    booth: int  # the number of the booth the code is good at (1, 2, ... in the package)
    booth_id: str  # that booth's terminal id, as on its label


@dataclass(frozen=True)
class ProtocolPrintout:
    """The signed results protocol and the names to print its numbers with.

    Every number and id printed, the close checkpoint and the QR codes all come from
    `protocol` itself, so the text and the signed codes cannot disagree.
    """

    protocol: Protocol
    signature: bytes
    election_name: str
    contests: tuple[ContestNames, ...]
    printed_at: dt.datetime
    opened_at: dt.datetime | None = None  # when the polls opened and closed (local time)
    closed_at: dt.datetime | None = None


# What the commission signs is printed in the state language and in Russian (the language
# of interethnic communication in both countries' election laws).
STATE_LANGUAGES = {"KG": "ky", "KZ": "kk"}
# The signature lines under a report the commission signs: chair, deputy, secretary and
# members (a precinct commission has at least this many in both countries).
SIGNATURES = (
    N_("Chair of the commission"),
    N_("Deputy chair"),
    N_("Secretary"),
    N_("Member of the commission"),
    N_("Member of the commission"),
    N_("Member of the commission"),
)


def commission_languages(country: str) -> tuple[str, ...]:
    """The languages of the commission's printouts: the state language, then Russian."""
    return (STATE_LANGUAGES[country], "ru")


def _joined(texts: list[str]) -> str:
    return " / ".join(dict.fromkeys(texts))  # the same text twice is printed once


def in_languages(languages: tuple[str, ...]) -> Gettext:
    """A gettext that gives each message in every one of `languages`, joined by " / "."""
    translators = [translator(language) for language in languages]
    return lambda message: _joined([t(message) for t in translators])


def named_in(names: dict[str, str], languages: tuple[str, ...]) -> str:
    return _joined([localized(names, language) for language in languages])


def contest_names(election: Election, *languages: str) -> tuple[ContestNames, ...]:
    """The election's contests and choices named in `languages` (with the usual fallbacks)."""
    return tuple(
        ContestNames(
            c.id,
            named_in(c.titles, languages),
            {ch.id: named_in(ch.names, languages) for ch in c.choices},
        )
        for c in election.contests
    )


@lru_cache(maxsize=16)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    # Loading a face costs milliseconds; every printout uses the same few. Basic layout is
    # enough for Cyrillic (no shaping, no bidi), several times faster than Raqm on Pillow 9.4,
    # and lays text out the same whether or not libraqm is installed.
    try:
        return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.BASIC)
    except OSError as exc:
        raise PrintoutError(f"font {path}: cannot be loaded ({exc})") from exc


def _break_word(word: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Cut a word wider than the paper (a hash, a long id) into pieces that fit."""
    pieces = []
    while font.getlength(word, mode="1") > width:
        cut = 1
        while cut < len(word) and font.getlength(word[: cut + 1], mode="1") <= width:
            cut += 1
        pieces.append(word[:cut])
        word = word[cut:]
    return [*pieces, word]


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Lines of `text` that each fit `width` dots, broken at spaces where possible."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if font.getlength(candidate, mode="1") <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            *full, line = _break_word(word, font, width)
            lines.extend(full)
        lines.append(line)
    return lines


def _grouped_hex(value: str) -> str:
    # Groups of 8 let a reader compare a hash with another copy piece by piece.
    return " ".join(value[i : i + 8] for i in range(0, len(value), 8))


def _when(moment: dt.datetime) -> str:
    return moment.isoformat(sep=" ", timespec="seconds")


class _Sheet:
    """A printout laid out top to bottom as blocks of the paper's width, then joined."""

    def __init__(self, paper: Paper, mode: Mode, gettext: Gettext) -> None:
        self.paper = paper
        self.gettext = gettext
        self.test = mode is Mode.TEST
        self.blocks: list[Image.Image] = []
        if self.test:
            self.banner()

    def _font(self, size: int, bold: bool) -> ImageFont.FreeTypeFont:
        return _font(self.paper.bold_font if bold else self.paper.font, size)

    def _block(self, height: int, fill: int = 1) -> ImageDraw.ImageDraw:
        block = Image.new("1", (self.paper.width, height), fill)
        self.blocks.append(block)
        return ImageDraw.Draw(block)

    def space(self, dots: int = GAP) -> None:
        self._block(dots)

    def rule(self) -> None:
        self._block(GAP)
        self._block(RULE, fill=0)
        self._block(GAP)

    def text(self, text: str, size: int = BODY, bold: bool = False, center: bool = False) -> None:
        font = self._font(size, bold)
        usable = self.paper.width - 2 * MARGIN
        ascent, descent = font.getmetrics()
        lines = _wrap(text, font, usable)
        draw = self._block(len(lines) * (ascent + descent))
        for n, line in enumerate(lines):
            left = MARGIN
            if center:
                left += (usable - round(font.getlength(line, mode="1"))) // 2
            draw.text((left, n * (ascent + descent)), line, font=font, fill=0)

    def row(self, left: str, right: str, size: int = BODY, bold: bool = False) -> None:
        """`left` wrapped at the left, `right` at the right edge of its last line (a count)."""
        font = self._font(size, bold)
        usable = self.paper.width - 2 * MARGIN
        right_width = round(font.getlength(right, mode="1"))
        ascent, descent = font.getmetrics()
        lines = _wrap(left, font, usable - right_width - GAP)
        draw = self._block(len(lines) * (ascent + descent))
        for n, line in enumerate(lines):
            draw.text((MARGIN, n * (ascent + descent)), line, font=font, fill=0)
        top = (len(lines) - 1) * (ascent + descent)
        draw.text((MARGIN + usable - right_width, top), right, font=font, fill=0)

    def field(self, label: str, value: str) -> None:
        """`label: value` on one line when it fits, else the label over the wrapped value."""
        font = self._font(BODY, False)
        usable = self.paper.width - 2 * MARGIN
        if font.getlength(f"{label}: {value}", mode="1") + GAP <= usable:
            self.row(f"{label}:", value)
        else:
            self.text(f"{label}:", size=SMALL, bold=True)
            self.text(value)

    def image(self, image: Image.Image, left: int | None = None) -> None:
        """The image across the paper: centred, or `left` dots from the left edge."""
        block = Image.new("1", (self.paper.width, image.height), 1)
        x = (self.paper.width - image.width) // 2 if left is None else left
        block.paste(image, (x, 0))
        self.blocks.append(block)

    def banner(self) -> None:
        # White on black across the whole width: a test printout cannot pass for an official one.
        font = self._font(BANNER, True)
        label = self.gettext("TEST")
        ascent, descent = font.getmetrics()
        draw = self._block(ascent + descent + 2 * GAP, fill=0)
        left = (self.paper.width - round(font.getlength(label, mode="1"))) // 2
        draw.text((max(left, 0), GAP), label, font=font, fill=1)
        self.space()

    def header(self, title: str, header: Header) -> None:
        _ = self.gettext
        self.text(title, size=TITLE, bold=True, center=True)
        self.space()
        self.text(header.election_name, size=HEADING, bold=True, center=True)
        self.space()
        self.field(_("Election"), header.election_id)
        self.field(_("Precinct"), header.precinct)
        self.field(_("Terminal"), header.terminal)
        mode = _("Official election") if header.mode is Mode.OFFICIAL else _("TEST")
        self.field(_("Mode"), mode)

    def digest(self, label: str, hex_value: str) -> None:
        self.text(f"{label}:", size=SMALL, bold=True)
        self.text(_grouped_hex(hex_value), size=SMALL)
        self.space(GAP // 2)

    def checkpoint(self, label: str, checkpoint: Checkpoint) -> None:
        # The exact signed text, line by line, so paper pins what the log files must extend.
        self.text(label, bold=True)
        for line in checkpoint.to_bytes().decode("ascii").splitlines():
            self.text(line, size=SMALL)

    def signatures(self) -> None:
        """A line to sign (and to write the name on) for each commission member."""
        self.rule()
        self.text(self.gettext("Signatures of the commission members"), bold=True)
        for role in SIGNATURES:
            self.space(GAP * 3)
            self.rule()
            self.text(self.gettext(role), size=SMALL)

    def render(self) -> Image.Image:
        if self.test:
            self.space()
            self.banner()
        self.space(FEED)
        sheet = Image.new("1", (self.paper.width, sum(b.height for b in self.blocks)), 1)
        top = 0
        for block in self.blocks:
            sheet.paste(block, (0, top))
            top += block.height
        return sheet


def setup_report(report: SetupReport, gettext: Gettext, paper: Paper = Paper()) -> Image.Image:
    """The report printed once the signed election package is loaded."""
    _ = gettext
    sheet = _Sheet(paper, report.header.mode, gettext)
    sheet.header(_("SETUP REPORT"), report.header)
    sheet.rule()
    sheet.digest(_("Software (SHA-256)"), report.software_sha256)
    sheet.digest(_("Election package (SHA-256)"), report.package_sha256)
    sheet.rule()
    sheet.field(_("Printed"), _when(report.printed_at))
    return sheet.render()


def zero_report(report: ZeroReport, gettext: Gettext, paper: Paper = Paper()) -> Image.Image:
    """The opening report: every count is zero and the ballot box is empty.

    Raises PrintoutError when the box is not empty: such a report would be false.
    """
    if report.ballots_in_box != 0:
        raise PrintoutError(
            f"zero report: the ballot box holds {report.ballots_in_box} ballots, not zero"
        )
    _ = gettext
    sheet = _Sheet(paper, report.header.mode, gettext)
    sheet.header(_("ZERO REPORT"), report.header)
    sheet.rule()
    sheet.digest(_("Software (SHA-256)"), report.software_sha256)
    sheet.rule()
    sheet.text(_("All counts are zero."), bold=True)
    for contest in report.contests:
        sheet.space()
        sheet.text(contest.title, bold=True)
        for name in contest.choices.values():
            sheet.row(name, "0")
    sheet.space()
    sheet.row(_("Ballots in the ballot box"), str(report.ballots_in_box), bold=True)
    sheet.rule()
    sheet.checkpoint(_("Event log checkpoint at opening"), report.checkpoint)
    sheet.rule()
    sheet.field(_("Polls opened"), _when(report.printed_at))
    sheet.signatures()
    return sheet.render()


def slip(slip: Slip, gettext: Gettext, paper: Paper = Paper()) -> Image.Image:
    """The voter's paper slip: the chosen names in the voter's language, nothing else."""
    _ = gettext
    sheet = _Sheet(paper, slip.mode, gettext)
    sheet.text(slip.election_name, size=HEADING, bold=True, center=True)
    for contest in slip.contests:
        sheet.rule()
        sheet.text(contest.title, bold=True)
        sheet.space()
        for name in contest.chosen:
            sheet.text(f"✓ {name}", size=HEADING, bold=True)
        if not contest.chosen:
            sheet.text(_("No choice marked"), size=HEADING)
    sheet.rule()
    sheet.image(qr_code(slip.code, min(paper.width, SLIP_QR_WIDTH)))
    sheet.rule()
    sheet.text(_("Check that this slip shows your choices."), size=SMALL, center=True)
    sheet.text(_("Fold it and drop it in the ballot box."), size=SMALL, bold=True, center=True)
    return sheet.render()


def _tracking_code(sheet: _Sheet, code: str, size: int) -> None:
    """A tracking code as two lines of four groups: easy to read out and to compare."""
    groups = code.split("-")
    for at in range(0, len(groups), 4):
        sheet.text(" ".join(groups[at : at + 4]), size=size, bold=True, center=True)


def receipt(receipt: Receipt, gettext: Gettext, paper: Paper = Paper()) -> Image.Image:
    """The voter's receipt, cut from the slip: the tracking code to look up in the results."""
    _ = gettext
    sheet = _Sheet(paper, receipt.mode, gettext)
    sheet.text(_("VOTER'S RECEIPT"), size=TITLE, bold=True, center=True)
    sheet.text(receipt.election_name, bold=True, center=True)
    sheet.rule()
    sheet.text(_("Tracking code"), center=True)
    _tracking_code(sheet, receipt.tracking_code, HEADING)
    sheet.image(qr_code(receipt.tracking_code, min(paper.width, 240)))
    sheet.rule()
    sheet.text(_("Keep this receipt. It shows no choice."), size=SMALL, center=True)
    sheet.text(
        _("The published results list this code once your ballot is counted."),
        size=SMALL,
        center=True,
    )
    return sheet.render()


def challenge(challenge: Challenge, gettext: Gettext, paper: Paper = Paper()) -> Image.Image:
    """A challenged ballot: marked SPOILED, its choices and nonces, to check against the
    published spoiled ballots. It never goes in the ballot box."""
    _ = gettext
    sheet = _Sheet(paper, challenge.mode, gettext)
    sheet.text(_("SPOILED"), size=TITLE, bold=True, center=True)
    sheet.text(_("Challenged ballot: not counted"), bold=True, center=True)
    sheet.text(challenge.election_name, center=True)
    sheet.rule()
    sheet.text(_("Tracking code"), center=True)
    _tracking_code(sheet, challenge.tracking_code, BODY)
    for contest, nonces in zip(challenge.contests, challenge.nonces, strict=True):
        sheet.rule()
        sheet.text(contest.title, bold=True)
        for name in contest.chosen:
            sheet.text(f"✓ {name}")
        if not contest.chosen:
            sheet.text(_("No choice marked"))
        sheet.text(_("Encryption nonces:"), size=SMALL)
        for nonce in nonces:
            sheet.text(nonce, size=SMALL)
    sheet.rule()
    sheet.text(_("SPOILED: do not put this in the ballot box."), bold=True, center=True)
    return sheet.render()


def coupon(coupon: Coupon, gettext: Gettext, paper: Paper = Paper()) -> Image.Image:
    """The coupon the voter takes from the desk to the voting booth."""
    _ = gettext
    sheet = _Sheet(paper, coupon.mode, gettext)
    sheet.text(_("BALLOT COUPON"), size=TITLE, bold=True, center=True)
    sheet.text(coupon.election_name, bold=True, center=True)
    sheet.text(_("Precinct {code}").format(code=coupon.precinct), center=True)
    sheet.rule()
    sheet.text(_("BOOTH {number}").format(number=coupon.booth), size=TITLE, bold=True, center=True)
    sheet.text(coupon.booth_id, center=True)
    sheet.image(qr_code(coupon.code, min(paper.width, 320)))
    sheet.rule()
    sheet.text(
        _("Scan this code at booth {number} within {minutes} minutes.").format(
            number=coupon.booth, minutes=coupon.minutes
        ),
        center=True,
    )
    return sheet.render()


def _line_labels(gettext: Gettext) -> dict[str, str]:
    """The printed name of each protocol line (keys: tally.protocol.LINES)."""
    _ = gettext
    return {
        "voters_on_register": _("Voters on the register"),
        "voters_received_ballot": _("Voters who received a ballot"),
        "ballots_issued": _("Ballots issued"),
        "ballots_void": _("Ballots void"),
        "ballots_cast": _("Ballots cast"),
        "damaged_slots": _("Damaged ballot-box slots"),
        "coupons_issued": _("Coupons issued"),
        "coupons_void": _("Coupons never printed"),
        "codes_refused": _("Ballot codes refused"),
        "issued_on_bare_number": _("Issued on a bare IIN/PIN, no document"),
        SLIPS_COUNTED: _("Paper slips counted in the ballot box"),
        ENCLOSURE_OPENINGS: _("Seal or ballot box lid opened"),
    }


def _turnout(lines: dict[str, int]) -> str:
    """Voters who received a ballot, as a share of the voters on the register."""
    on_register = lines["voters_on_register"]
    if not on_register:
        return "—"
    return f"{100 * lines['voters_received_ballot'] / on_register:.1f} %"


def qr_code(
    payload: str, width: int, error: str = QR_ERROR, module: int | None = None
) -> Image.Image:
    """One QR code with its quiet zone, at `module` dots a module or else the largest whole
    module size that fits `width`.

    Raises PrintoutError when `width` dots cannot give it QR_MIN_MODULE (or `module`) dots.
    """
    code = segno.make(payload, error=error, micro=False, boost_error=False)
    dark = np.array(list(code.matrix_iter(scale=1, border=QR_QUIET_ZONE)), dtype=bool)
    modules = dark.shape[0]
    scale = width // modules if module is None else module
    needed = QR_MIN_MODULE if module is None else module
    if scale < QR_MIN_MODULE or modules * scale > width:
        raise PrintoutError(
            f"QR code version {code.version} ({modules} modules with its quiet zone) needs "
            f"{modules * needed} dots at {needed} dots a module; the paper has {width}"
        )
    pixels = np.where(dark, 0, 255).astype(np.uint8).repeat(scale, axis=0).repeat(scale, axis=1)
    return Image.fromarray(pixels).convert("1", dither=Image.Dither.NONE)


def protocol(printout: ProtocolPrintout, gettext: Gettext, paper: Paper = Paper()) -> Image.Image:
    """The results protocol: lines, votes, close checkpoint, then the signed protocol as QR codes.

    Raises PrintoutError when the names do not cover exactly the protocol's contests and
    choices, or when a QR part does not fit the paper.
    """
    _ = gettext
    p = printout.protocol
    if sorted(c.id for c in printout.contests) != sorted(p.contests):
        raise PrintoutError("protocol printout: contest names differ from the protocol's contests")
    for contest in printout.contests:
        if set(contest.choices) != set(p.contests[contest.id].votes):
            raise PrintoutError(
                f"protocol printout: choice names of contest {contest.id} differ from the protocol"
            )
    # Codes are made first: a protocol that cannot be printed whole fails before any text.
    parts = qr_parts(p.to_json(), printout.signature)
    # Each part twice, shifted: room for the shift is kept out of the width the code may take.
    room = paper.width - PROTOCOL_QR_SHIFT * PROTOCOL_QR_MODULE
    codes = [qr_code(part, room, PROTOCOL_QR_ERROR, PROTOCOL_QR_MODULE) for part in parts]

    header = Header(printout.election_name, p.election, p.precinct, p.terminal, Mode(p.mode))
    sheet = _Sheet(paper, header.mode, gettext)
    sheet.header(_("RESULTS PROTOCOL"), header)
    sheet.rule()
    labels = _line_labels(gettext)
    for name in LINES:
        sheet.row(labels[name], str(p.lines[name]))
        if name == "ballots_cast" and SLIPS_COUNTED in p.lines:
            sheet.row(labels[SLIPS_COUNTED], str(p.lines[SLIPS_COUNTED]))
            difference = p.lines[SLIPS_COUNTED] - p.lines["ballots_cast"]
            if difference:
                sheet.text(
                    _(
                        "DIFFERENCE: the ballot box counted {slips} paper slips for {cast} "
                        "ballots cast ({difference:+d}). The commission must look into it."
                    ).format(
                        slips=p.lines[SLIPS_COUNTED],
                        cast=p.lines["ballots_cast"],
                        difference=difference,
                    ),
                    bold=True,
                )
        if name == "ballots_cast" and p.lines.get(ENCLOSURE_OPENINGS):
            sheet.row(labels[ENCLOSURE_OPENINGS], str(p.lines[ENCLOSURE_OPENINGS]))
            sheet.text(
                _(
                    "The seal or the ballot box lid was opened while the polls were open: "
                    "see the event log."
                ),
                bold=True,
            )
    for contest in printout.contests:
        result = p.contests[contest.id]
        sheet.rule()
        sheet.text(contest.title, bold=True)
        sheet.space()
        for choice_id, name in contest.choices.items():
            sheet.row(name, str(result.votes[choice_id]))
        sheet.row(_("Blank (no choice marked)"), str(result.blank))
    sheet.rule()
    sheet.digest(_("Ballot box commitment (SHA-256)"), p.ballots_commitment)
    sheet.digest(_("Software (SHA-256)"), p.software)
    sheet.space()
    close = Checkpoint(origin(p.election, p.precinct, p.terminal), p.log_size, p.log_head, "close")
    sheet.checkpoint(_("Event log checkpoint at closing"), close)
    sheet.rule()
    sheet.field(_("Printed"), _when(printout.printed_at))
    sheet.rule()
    sheet.text(_("Signed protocol: scan every QR code."), bold=True)
    for index, code in enumerate(codes, 1):
        caption = _("QR {index}/{count}").format(index=index, count=len(codes))
        # The second copy exactly PROTOCOL_QR_SHIFT modules right of the first: its finder
        # patterns then never share a dot column with the first copy's, whatever its size.
        for left in (0, PROTOCOL_QR_SHIFT * PROTOCOL_QR_MODULE):
            sheet.image(code, left)
            sheet.text(caption, bold=True, center=True)
        sheet.space()
    # What the commission attests, signed at the foot of the protocol.
    sheet.rule()
    sheet.row(_("Turnout"), _turnout(p.lines), bold=True)
    if printout.opened_at is not None:
        sheet.field(_("Polls opened"), _when(printout.opened_at))
    if printout.closed_at is not None:
        sheet.field(_("Polls closed"), _when(printout.closed_at))
    sheet.signatures()
    return sheet.render()


def void_notice(
    what: Interrupted, mode: Mode, gettext: Gettext, paper: Paper = Paper()
) -> Image.Image:
    """The notice printed after a crash cut a printout off.

    After a slip it says the ballot was not cast; it carries no time and no ids either,
    since it lies in the voter's hands like the slip.
    """
    _ = gettext
    sheet = _Sheet(paper, mode, gettext)
    sheet.rule()
    if what is Interrupted.BALLOT:
        sheet.text(_("INTERRUPTED — VOID"), size=TITLE, bold=True, center=True)
        sheet.space()
        sheet.text(_("Ballot not cast"), size=HEADING, bold=True, center=True)
    else:
        sheet.text(_("PRINTOUT INTERRUPTED"), size=TITLE, bold=True, center=True)
        sheet.space()
        sheet.text(_("Reprinted below"), size=HEADING, center=True)
    sheet.rule()
    return sheet.render()

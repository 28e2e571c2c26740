"""Thermal printouts: layout, TEST banners, the slip's anonymity, and protocol QR codes that
stock zbarimg and openssl read and verify, also after simulated print degradation."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import inspect
import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFilter, ImageFont

from terminal.app import printouts
from terminal.app.printouts import (
    ContestNames,
    Header,
    Interrupted,
    Paper,
    PrintoutError,
    ProtocolPrintout,
    SetupReport,
    Slip,
    SlipContest,
    ZeroReport,
    protocol,
    qr_code,
    setup_report,
    slip,
    void_notice,
    zero_report,
)
from terminal.ballot import slip_code
from terminal.ballot.election import Mode
from terminal.jsonfmt import FormatError
from terminal.tally.event_log import Checkpoint, origin
from terminal.tally.protocol import (
    LINES,
    OPTIONAL_LINES,
    ContestResult,
    Protocol,
    join_qr_parts,
    qr_parts,
)
from terminal.trust.signing import SigningKey

ROOT = Path(__file__).resolve().parent.parent
VERIFY_SCRIPT = ROOT / "scripts" / "verify-protocol-qr.sh"
WIDTHS = (384, 576)
BISHKEK = dt.timezone(dt.timedelta(hours=6))
ELECTION_NAME = "Бишкек шаардык кеңешине шайлоо 2024"
ELECTION_ID = "kg-2024-bishkek"
PRECINCT = "1234"
TERMINAL = "T-1234-01"
NAMES = (
    "Айгүл Өмүрбекова",
    "Нурлан Кадыров",
    "Бакыт Төлөгөнов",
    "Гүлнара Жумабаева",
    "Эрлан Асанов",
    "Жазгүл Сыдыкова",
    "Темирлан Үсөнов",
    "Чолпон Абдыкадырова",
    "Мирлан Жээнбеков",
    "Айпери Кубанычбекова",
    "Руслан Өскөнбаев",
)
AGAINST_ALL = "Каршымын баарына"
KYRGYZ = {
    "RESULTS PROTOCOL": "ЖЫЙЫНТЫКТАР ПРОТОКОЛУ",
    "TEST": "СЫНОО",
    "Ballots cast": "Добуш берилген бюллетендер",
    "No choice marked": "Эч ким белгиленген жок",
}
NOW = dt.datetime(2024, 11, 17, 20, 45, 12, tzinfo=BISHKEK)
# A fixed key: Ed25519 signatures are deterministic, so every run prints the same QR codes and
# the degradation tests are reproducible.
TERMINAL_KEY = SigningKey(
    Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"tamga test terminal").digest())
)


def english(text: str) -> str:
    return text


def kyrgyz(text: str) -> str:
    return KYRGYZ.get(text, text)


def contest_names(contests: int, choices: int) -> tuple[ContestNames, ...]:
    """Contests whose last choice is "against all", as on Kyrgyz ballots."""
    return tuple(
        ContestNames(
            id=f"contest-{c + 1}",
            title=f"Шайлоо округу №{c + 1}: Бишкек шаардык кеңешинин депутаты",
            choices={
                f"choice-{n + 1}": NAMES[n % len(NAMES)] if n < choices - 1 else AGAINST_ALL
                for n in range(choices)
            },
        )
        for c in range(contests)
    )


def make_protocol(
    names: tuple[ContestNames, ...], mode: Mode = Mode.OFFICIAL
) -> tuple[Protocol, SigningKey]:
    """A plausible closed precinct: 912 ballots cast, every contest adding up."""
    cast, blank = 912, 11
    contests = {}
    for contest in names:
        ids = list(contest.choices)
        votes = {cid: (cast - blank) // len(ids) for cid in ids}
        votes[ids[0]] += cast - blank - sum(votes.values())
        contests[contest.id] = ContestResult(votes, blank)
    p = Protocol(
        election=ELECTION_ID,
        precinct=PRECINCT,
        terminal=TERMINAL,
        mode=mode.value,
        software=hashlib.sha256(b"tamga 0.1.0").hexdigest(),
        lines={
            "voters_on_register": 1500,
            "voters_received_ballot": 912,
            "ballots_issued": 915,
            "ballots_void": 3,
            "ballots_cast": cast,
            "damaged_slots": 0,
            "coupons_issued": 0,
            "coupons_void": 0,
            "codes_refused": 0,
            "issued_on_bare_number": 0,
        },
        contests=contests,
        ballots_commitment=hashlib.sha256(b"ballots.commitment.json").hexdigest(),
        log_size=2741,
        log_head=hashlib.sha256(b"last event").hexdigest(),
    )
    return p, TERMINAL_KEY


def protocol_printout(
    contests: int = 1, choices: int = 6, mode: Mode = Mode.OFFICIAL
) -> tuple[ProtocolPrintout, SigningKey]:
    names = contest_names(contests, choices)
    p, key = make_protocol(names, mode)
    return ProtocolPrintout(p, key.sign(p.to_json()), ELECTION_NAME, names, NOW), key


def header(mode: Mode = Mode.OFFICIAL) -> Header:
    return Header(ELECTION_NAME, ELECTION_ID, PRECINCT, TERMINAL, mode)


def voter_slip(chosen: str = NAMES[0], mode: Mode = Mode.OFFICIAL) -> Slip:
    return Slip(
        ELECTION_NAME,
        mode,
        (
            SlipContest("Бишкек шаарынын мэри", (chosen,)),
            SlipContest("Шаардык кеңеш (эки талапкер)", (NAMES[2], NAMES[3])),
            SlipContest("Референдум", ()),
        ),
        f"TAMGA-SLIP:1:{mode.value}:{ELECTION_ID}:{PRECINCT}:mayor={chosen};council=a,b;ref=",
    )


def all_printouts(mode: Mode, paper: Paper) -> dict[str, Callable[[], Image.Image]]:
    """Every kind of printout, ready to render."""
    names = contest_names(1, 6)
    checkpoint = Checkpoint(origin(ELECTION_ID, PRECINCT, TERMINAL), 5, "ab" * 32, "open")
    software = hashlib.sha256(b"tamga 0.1.0").hexdigest()
    printout, _key = protocol_printout(mode=mode)
    return {
        "setup": lambda: setup_report(
            SetupReport(header(mode), software, "cd" * 32, NOW), english, paper
        ),
        "zero": lambda: zero_report(
            ZeroReport(header(mode), software, names, 0, checkpoint, NOW), english, paper
        ),
        "slip": lambda: slip(voter_slip(mode=mode), english, paper),
        "protocol": lambda: protocol(printout, english, paper),
        "void-ballot": lambda: void_notice(Interrupted.BALLOT, mode, english, paper),
        "void-printout": lambda: void_notice(Interrupted.PRINTOUT, mode, english, paper),
    }


def ink(image: Image.Image, rows: slice) -> float:
    """The share of black dots in some rows of a printout."""
    return float((np.asarray(image.convert("L"))[rows] == 0).mean())


def zbar(image: Image.Image, path: Path) -> list[str]:
    """The payloads zbarimg reads from `image` (QR only, so text never passes for a barcode)."""
    image.save(path)
    result = subprocess.run(
        ["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.split()


def openssl_verify(directory: Path, data: bytes, signature: bytes, key: SigningKey) -> str:
    (directory / "protocol.json").write_bytes(data)
    (directory / "protocol.json.sig").write_bytes(signature)
    (directory / "pub.pem").write_bytes(key.public.pem())
    result = subprocess.run(
        [
            "openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin",
            "-in", "protocol.json", "-sigfile", "protocol.json.sig",
        ],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    return result.stdout


def assert_decodes(
    image: Image.Image, printout: ProtocolPrintout, key: SigningKey, tmp: Path
) -> None:
    parts = zbar(image, tmp / "protocol.png")
    expected = qr_parts(printout.protocol.to_json(), printout.signature)
    # Each part is printed twice (shifted copies); a damaged copy may be lost, never a part.
    assert sorted(set(parts)) == sorted(expected)
    data, signature = join_qr_parts(parts)
    assert data == printout.protocol.to_json()
    assert "Signature Verified Successfully" in openssl_verify(tmp, data, signature, key)


# --- every printout -------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("mode", list(Mode))
def test_every_printout_is_one_bit_and_as_wide_as_the_paper(width: int, mode: Mode) -> None:
    for name, render in all_printouts(mode, Paper(width=width)).items():
        image = render()
        assert image.mode == "1", name
        assert image.width == width, name
        assert 100 < image.height < 6000, name


@pytest.mark.parametrize("name", list(all_printouts(Mode.TEST, Paper())))
def test_test_printouts_carry_a_banner_at_top_and_bottom(name: str) -> None:
    official = all_printouts(Mode.OFFICIAL, Paper())[name]()
    test = all_printouts(Mode.TEST, Paper())[name]()
    # The banner is white letters on black, some 120 dots high; the end is blank paper.
    top, bottom = slice(0, 100), slice(-printouts.FEED - 120, -printouts.FEED)
    assert ink(test, top) > 0.6, "no TEST banner at the top"
    assert ink(test, bottom) > 0.6, "no TEST banner at the bottom"
    assert ink(official, top) < 0.4
    assert ink(official, bottom) < 0.4


def test_fixed_headings_go_through_gettext() -> None:
    asked: list[str] = []

    def recording(text: str) -> str:
        asked.append(text)
        return kyrgyz(text)

    printout, _key = protocol_printout(mode=Mode.TEST)
    translated = protocol(printout, recording)
    assert {"RESULTS PROTOCOL", "TEST", "Ballots cast", "Election", "Printed"} <= set(asked)
    assert "QR {index}/{count}" in asked
    assert translated.tobytes() != protocol(printout, english).tobytes()

    asked.clear()
    slip(voter_slip(), recording)
    assert "No choice marked" in asked


def test_every_protocol_line_has_a_printed_label() -> None:
    assert set(printouts._line_labels(english)) == {*LINES, *OPTIONAL_LINES}


@pytest.mark.parametrize("font", [printouts.DEJAVU_SANS, printouts.DEJAVU_SANS_BOLD])
def test_the_fonts_have_every_kyrgyz_and_kazakh_letter(font: str) -> None:
    face = ImageFont.truetype(font, printouts.BODY)
    missing = face.getmask("\U000f0000", mode="1")  # a private-use code point: no glyph
    for letter in "ңөүәғқұһіҢӨҮӘҒҚҰҺІ✓—№":
        mask = face.getmask(letter, mode="1")
        assert (mask.size, bytes(mask)) != (missing.size, bytes(missing)), letter


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(alphabet="абвгңөүәғқұһі ABC0123456789-", max_size=300),
    width=st.integers(min_value=40, max_value=576),
)
def test_wrapped_lines_fit_and_keep_every_letter(text: str, width: int) -> None:
    face = ImageFont.truetype(printouts.DEJAVU_SANS, printouts.BODY)
    lines = printouts._wrap(text, face, width)
    assert all(face.getlength(line, mode="1") <= width for line in lines)
    assert "".join("".join(lines).split()) == "".join(text.split())


def test_a_missing_font_is_a_clear_error() -> None:
    with pytest.raises(PrintoutError, match="nowhere"):
        slip(voter_slip(), english, Paper(font="/nowhere.ttf"))


# --- the reports ----------------------------------------------------------------------------


def test_a_zero_report_of_a_box_with_ballots_is_refused() -> None:
    checkpoint = Checkpoint(origin(ELECTION_ID, PRECINCT, TERMINAL), 5, "ab" * 32, "open")
    report = ZeroReport(header(), "ef" * 32, contest_names(1, 6), 1, checkpoint, NOW)
    with pytest.raises(PrintoutError, match="holds 1 ballots"):
        zero_report(report, english)


# --- the voter's slip -----------------------------------------------------------------------


def test_the_slip_can_carry_no_time_serial_or_voter_data() -> None:
    # The law of the project: ballot content never carries time, order or identity. The slip's
    # inputs are exactly these fields; adding one must be a deliberate change of this test.
    fields = ["election_name", "mode", "contests", "code"]
    assert [f.name for f in dataclasses.fields(Slip)] == fields
    # The code is made from the election, the precinct and the choices, and nothing else.
    assert list(inspect.signature(slip_code.encode).parameters) == [
        "election", "precinct", "selections"
    ]  # fmt: skip
    assert [f.name for f in dataclasses.fields(SlipContest)] == ["title", "chosen"]
    assert [f.name for f in dataclasses.fields(Paper)] == ["width", "font", "bold_font"]
    assert list(inspect.signature(slip).parameters) == ["slip", "gettext", "paper"]
    assert list(inspect.signature(void_notice).parameters) == ["what", "mode", "gettext", "paper"]


def test_slips_with_the_same_choices_are_pixel_identical_whenever_printed() -> None:
    first = slip(voter_slip(), kyrgyz)
    time.sleep(0.05)
    slip(voter_slip(NAMES[1]), kyrgyz)  # another voter in between leaves no trace
    second = slip(voter_slip(), kyrgyz)
    assert first.size == second.size
    assert first.tobytes() == second.tobytes()
    assert slip(voter_slip(NAMES[1]), kyrgyz).tobytes() != first.tobytes()


# --- the results protocol and its QR codes --------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_protocol_qr_codes_decode_and_verify_with_stock_tools(width: int, tmp_path: Path) -> None:
    printout, key = protocol_printout()
    image = protocol(printout, english, Paper(width=width))
    assert_decodes(image, printout, key, tmp_path)


def test_a_large_protocol_prints_and_decodes(tmp_path: Path) -> None:
    printout, key = protocol_printout(contests=3, choices=12)
    assert len(qr_parts(printout.protocol.to_json(), printout.signature)) >= 4
    assert_decodes(protocol(printout, english), printout, key, tmp_path)


def _blurred_with_dropped_dots(image: Image.Image, seed: int) -> Image.Image:
    """Heat spreading (blur, then the paper's threshold) and 2 % of the black dots not printed."""
    gray = np.asarray(image.convert("L").filter(ImageFilter.GaussianBlur(1)))
    black = gray < 128
    black &= np.random.default_rng(seed).random(black.shape) >= 0.02
    return Image.fromarray(np.where(black, 0, 255).astype(np.uint8))


@pytest.mark.parametrize("seed", range(1, 11))
def test_protocol_decodes_after_blur_and_dropped_dots(seed: int, tmp_path: Path) -> None:
    """One printout, its heat spread and 2 % of its dots dropped, gives every part: each code is
    printed twice at 5 dots a module (40 of 40 seeds measured; with one copy at 6 dots, 7 of
    60 seeds lost a part)."""
    printout, key = protocol_printout(contests=3, choices=12)
    image = protocol(printout, english)
    assert_decodes(_blurred_with_dropped_dots(image, seed), printout, key, tmp_path)


def test_protocol_decodes_with_uneven_heat_and_dead_dots(tmp_path: Path) -> None:
    printout, key = protocol_printout(contests=3, choices=12)
    gray = np.asarray(protocol(printout, english).convert("L").filter(ImageFilter.GaussianBlur(1)))
    # Darker at one edge, fainter at the other; two heater elements that never fire.
    black = gray < np.linspace(60, 200, gray.shape[1])[np.newaxis, :]
    black[:, [120, 250]] = False
    degraded = Image.fromarray(np.where(black, 0, 255).astype(np.uint8))
    assert_decodes(degraded, printout, key, tmp_path)


@pytest.mark.parametrize("width", WIDTHS)
def test_qr_modules_are_the_largest_whole_size_that_fits(width: int) -> None:
    printout, _key = protocol_printout(contests=3, choices=12)
    for part in qr_parts(printout.protocol.to_json(), printout.signature):
        modules, _ = segno.make(part, error="m", boost_error=False).symbol_size(border=4)
        image = qr_code(part, width)
        assert image.width == image.height == modules * (width // modules)
        assert width // modules >= printouts.QR_MIN_MODULE


def test_a_qr_code_too_large_for_the_paper_is_a_clear_error() -> None:
    printout, _key = protocol_printout()
    with pytest.raises(PrintoutError, match="5 dots a module"):
        protocol(printout, english, Paper(width=200))


def test_protocol_names_must_match_the_protocol() -> None:
    printout, _key = protocol_printout(contests=2)
    wrong = dataclasses.replace(printout, contests=printout.contests[:1])
    with pytest.raises(PrintoutError, match="contest names"):
        protocol(wrong, english)
    first = printout.contests[0]
    renamed = dataclasses.replace(first, choices={"someone-else": "Бирөө", **first.choices})
    wrong = dataclasses.replace(printout, contests=(renamed, *printout.contests[1:]))
    with pytest.raises(PrintoutError, match="choice names"):
        protocol(wrong, english)


# --- docs/verify-by-hand.md, as a script ----------------------------------------------------


def _run_verify_script(png: Path, key_pem: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(VERIFY_SCRIPT), png.name, key_pem.name, out.name],
        cwd=png.parent,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_documented_commands_verify_a_printed_protocol(tmp_path: Path) -> None:
    printout, key = protocol_printout(contests=3, choices=12)
    protocol(printout, english).save(tmp_path / "protocol.png")
    (tmp_path / "terminal.pub.pem").write_bytes(key.public.pem())
    result = _run_verify_script(
        tmp_path / "protocol.png", tmp_path / "terminal.pub.pem", tmp_path / "out"
    )
    assert result.returncode == 0, result.stderr
    assert "Signature Verified Successfully" in result.stdout
    assert (tmp_path / "out" / "protocol.json").read_bytes() == printout.protocol.to_json()


def _top_of(part: Image.Image, image: Image.Image, left: int | None = None) -> int:
    """The last row at which `part` (pasted centred, or `left` dots from the left edge, as
    the sheet does) starts in `image`."""
    whole, piece = np.asarray(image, dtype=bool), np.asarray(part, dtype=bool)
    left = (image.width - part.width) // 2 if left is None else left
    for top in range(image.height - part.height, -1, -1):
        window = whole[top : top + part.height, left : left + part.width]
        if window[0].tolist() == piece[0].tolist() and np.array_equal(window, piece):
            return top
    raise AssertionError("the code is not on the printout")


def test_the_documented_commands_reject_a_wrong_key_and_a_missing_part(tmp_path: Path) -> None:
    printout, _key = protocol_printout(contests=3, choices=12)
    image = protocol(printout, english)
    image.save(tmp_path / "protocol.png")
    (tmp_path / "other.pub.pem").write_bytes(SigningKey.generate().public.pem())
    result = _run_verify_script(
        tmp_path / "protocol.png", tmp_path / "other.pub.pem", tmp_path / "out"
    )
    assert result.returncode != 0
    assert "Signature Verified Successfully" not in result.stdout

    # Cut the printout just above the last code: one part is lost.
    last = qr_code(
        qr_parts(printout.protocol.to_json(), printout.signature)[-1],
        image.width - printouts.PROTOCOL_QR_SHIFT * printouts.PROTOCOL_QR_MODULE,
        printouts.PROTOCOL_QR_ERROR,
        printouts.PROTOCOL_QR_MODULE,
    )
    top = _top_of(last, image, left=0)  # the first of its two copies: both are cut off
    image.crop((0, 0, image.width, top - 1)).save(tmp_path / "cut.png")
    result = _run_verify_script(tmp_path / "cut.png", tmp_path / "other.pub.pem", tmp_path / "out")
    assert result.returncode != 0
    assert "missing" in result.stderr


def _with_enclosure(slips: int, openings: int) -> tuple[ProtocolPrintout, SigningKey]:
    printout, key = protocol_printout()
    lines = {**printout.protocol.lines, "slips_counted": slips, "enclosure_openings": openings}
    p = dataclasses.replace(printout.protocol, lines=lines)
    signed = ProtocolPrintout(p, key.sign(p.to_json()), ELECTION_NAME, printout.contests, NOW)
    return signed, key


def test_enclosure_slips_printed_and_a_difference_named(tmp_path: Path) -> None:
    """The slips the enclosure counted are printed beside the ballots cast and carried in the
    signed QR codes; a difference, or an opening, adds a bold line naming it."""
    plain = protocol(protocol_printout()[0], english)
    equal, key = _with_enclosure(912, 0)
    equal_image = protocol(equal, english)
    assert_decodes(equal_image, equal, key, tmp_path)
    assert Protocol.from_json(equal.protocol.to_json()).lines["slips_counted"] == 912
    differing = protocol(_with_enclosure(913, 0)[0], english)
    opened = protocol(_with_enclosure(912, 1)[0], english)
    assert plain.height < equal_image.height < differing.height
    assert equal_image.height < opened.height


def test_protocol_lines_beyond_the_optional_ones_refused() -> None:
    printout, _ = protocol_printout()
    body = json.loads(printout.protocol.to_json())
    body["lines"]["slips_stuffed"] = 1
    with pytest.raises(FormatError, match="lines must be exactly"):
        Protocol.from_json(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())

"""The ESC/POS encoder and decoder agree, and the decoder survives anything."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from terminal.hal import escpos
from terminal.hal.escpos import (
    Cut,
    DecodeError,
    EscPosDecoder,
    Feed,
    Init,
    RasterBand,
    StatusFlag,
    StatusQuery,
    StatusRequest,
)


def bitmap(black: np.ndarray) -> Image.Image:
    """A 1-bit image from a boolean array, True = black."""
    return Image.fromarray(np.where(black, 0, 255).astype(np.uint8)).convert("1")


def black_dots(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L")) < 128


def render(data: bytes, width_dots: int) -> tuple[list[Image.Image], list[escpos.Event]]:
    """Decode a byte stream into the pages its cuts finish (plus the unfinished one last)."""
    events = EscPosDecoder().feed(data)
    page = escpos.Page(width_dots)
    pages = []
    for event in events:
        if isinstance(event, RasterBand):
            page.add_band(event)
        elif isinstance(event, Feed):
            page.add_blank(event.lines * escpos.LINE_DOTS)
        elif isinstance(event, Cut):
            pages.append(page.finish())
    pages.append(page.finish())
    return pages, events


images = st.tuples(st.integers(1, 70), st.integers(0, 60), st.integers(0, 2**32 - 1)).map(
    lambda t: np.random.default_rng(t[2]).random((t[1], t[0])) < 0.5
)


@given(images)
def test_raster_round_trip_gives_back_every_dot(black: np.ndarray) -> None:
    image = bitmap(black)
    bands = escpos.raster_bands(image)
    assert len(bands) == -(-image.height // escpos.BAND_ROWS)
    padded_width = -(-image.width // 8) * 8
    pages, events = render(b"".join(bands), padded_width)
    assert all(isinstance(e, RasterBand) and e.rows <= escpos.BAND_ROWS for e in events)
    (page,) = pages
    assert page.size == (padded_width, image.height)
    dots = black_dots(page)
    assert (dots[:, : image.width] == black).all()
    assert not dots[:, image.width :].any(), "the padding must print white"


def test_grey_images_are_thresholded_not_dithered() -> None:
    grey = Image.new("L", (16, 2), 136)
    grey.paste(120, (0, 0, 8, 2))
    (page,), _ = render(b"".join(escpos.raster_bands(grey)), 16)
    dots = black_dots(page)
    assert dots[:, :8].all() and not dots[:, 8:].any()


def test_encoded_commands_decode_to_themselves() -> None:
    data = (
        escpos.initialize()
        + escpos.feed(7)
        + escpos.cut()
        + b"".join(escpos.status_request(q) for q in StatusQuery)
    )
    assert EscPosDecoder().feed(data) == [
        Init(0),
        Feed(2, 7),
        Cut(5, 0),
        StatusRequest(9, StatusQuery.PRINTER),
        StatusRequest(12, StatusQuery.OFFLINE_CAUSE),
        StatusRequest(15, StatusQuery.PAPER_SENSOR),
    ]


def test_feed_rejects_what_esc_d_cannot_carry() -> None:
    with pytest.raises(ValueError):
        escpos.feed(256)


@settings(max_examples=300)
@given(st.lists(st.binary(max_size=300), max_size=20))
def test_random_bytes_never_crash_and_stay_bounded(chunks: list[bytes]) -> None:
    decoder = EscPosDecoder()
    offset = last = 0
    for chunk in chunks:
        for event in decoder.feed(chunk):
            assert last <= event.offset < offset + len(chunk)
            last = event.offset
        offset += len(chunk)
        # The decoder's whole state: a partial header and at most one band's data.
        assert len(decoder._command) < escpos.RASTER_HEADER_LEN
        assert len(decoder._data) <= escpos.MAX_WIDTH_BYTES * escpos.MAX_BAND_HEIGHT


def test_absurd_band_header_is_refused_before_its_data() -> None:
    header = bytes([escpos.GS, ord("v"), ord("0"), 0, 0xFF, 0xFF, 0xFF, 0xFF])
    events = EscPosDecoder().feed(b"\x00\x00" + header + bytes(10) + escpos.initialize())
    assert isinstance(events[0], DecodeError) and events[0].offset == 2
    assert events[-1] == Init(2 + len(header) + 10)


def test_garbage_is_one_error_and_decoding_resumes() -> None:
    events = EscPosDecoder().feed(b"hello\x1b\x1b@" + escpos.feed(1))
    assert events == [DecodeError(0, "unexpected byte 0x68"), Init(6), Feed(8, 1)]


def test_unsupported_commands_are_errors() -> None:
    for command in (b"\x1dV\x00", b"\x10\x04\x03", b"\x1dv0\x01", b"\x1b!"):
        (event,) = EscPosDecoder().feed(command)
        assert isinstance(event, DecodeError) and event.offset == 0, command


valid_streams = st.lists(
    st.one_of(
        images.map(lambda black: b"".join(escpos.raster_bands(bitmap(black)))),
        st.integers(0, 255).map(escpos.feed),
        st.just(escpos.cut()),
        st.just(escpos.initialize()),
        st.sampled_from(list(StatusQuery)).map(escpos.status_request),
        st.binary(max_size=12),
    ),
    max_size=8,
).map(b"".join)


@given(valid_streams, st.lists(st.integers(0, 10_000), max_size=10))
def test_chunk_boundaries_do_not_matter(data: bytes, cuts: list[int]) -> None:
    whole = EscPosDecoder().feed(data)
    decoder = EscPosDecoder()
    bounds = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    pieces = []
    for start, end in itertools.pairwise(bounds):
        pieces += decoder.feed(data[start:end])
    assert pieces == whole
    one_by_one = EscPosDecoder()
    assert [e for b in data for e in one_by_one.feed(bytes([b]))] == whole


@pytest.mark.parametrize(
    ("query", "reply", "flags"),
    [
        (StatusQuery.PRINTER, 0x12, set()),
        (StatusQuery.PRINTER, 0x16, set()),  # drawer pin high: not ours to care about
        (StatusQuery.PRINTER, 0x1A, {StatusFlag.OFFLINE}),
        (StatusQuery.OFFLINE_CAUSE, 0x12, set()),
        (StatusQuery.OFFLINE_CAUSE, 0x16, {StatusFlag.COVER_OPEN}),
        (StatusQuery.OFFLINE_CAUSE, 0x32, {StatusFlag.PAPER_OUT}),
        (StatusQuery.OFFLINE_CAUSE, 0x52, {StatusFlag.OFFLINE}),
        (StatusQuery.PAPER_SENSOR, 0x12, set()),
        (StatusQuery.PAPER_SENSOR, 0x1E, {StatusFlag.PAPER_NEAR_END}),
        (StatusQuery.PAPER_SENSOR, 0x72, {StatusFlag.PAPER_OUT}),
        (StatusQuery.PAPER_SENSOR, 0x7E, {StatusFlag.PAPER_OUT, StatusFlag.PAPER_NEAR_END}),
    ],
)
def test_parse_status(query: StatusQuery, reply: int, flags: set[StatusFlag]) -> None:
    assert escpos.parse_status(query, reply) == flags


# No reply, bit 1 off, bit 4 off, bit 0 on (XOFF, XON), bit 7 on, all ones, out of range.
@pytest.mark.parametrize("reply", [0x00, 0x10, 0x02, 0x13, 0x11, 0x92, 0xFF, 0x112])
def test_parse_status_rejects_malformed_replies(reply: int) -> None:
    for query in StatusQuery:
        with pytest.raises(escpos.MalformedStatus):
            escpos.parse_status(query, reply)


@given(st.sampled_from(list(StatusQuery)), st.frozensets(st.sampled_from(list(StatusFlag))))
def test_status_reply_round_trips(query: StatusQuery, flags: frozenset[StatusFlag]) -> None:
    parsed = escpos.parse_status(query, escpos.status_reply(query, flags))
    reported = {
        StatusQuery.PRINTER: {StatusFlag.OFFLINE},
        StatusQuery.OFFLINE_CAUSE: {StatusFlag.COVER_OPEN, StatusFlag.PAPER_OUT},
        StatusQuery.PAPER_SENSOR: {StatusFlag.PAPER_OUT, StatusFlag.PAPER_NEAR_END},
    }[query]
    assert parsed == flags & reported


@pytest.mark.parametrize("width", [384, 576])
def test_abandon_bytes_finish_a_band_cut_anywhere(width: int) -> None:
    black = np.random.default_rng(1).random((escpos.BAND_ROWS, width)) < 0.5
    (band,) = escpos.raster_bands(bitmap(black))
    width_bytes = width // 8
    for sent in range(len(band)):
        pages, events = render(band[:sent] + escpos.abandon_bytes(width), width)
        assert events[-1] == Init(sent + len(escpos.abandon_bytes(width)) - 2), sent
        errors = [e for e in events if isinstance(e, DecodeError)]
        # Cut right after GS or GS v: the zeros cannot make a command of it (documented).
        assert len(errors) == (1 if sent in (1, 2) else 0), sent
        if sent >= escpos.RASTER_HEADER_LEN:
            # The rows sent survive, the rest of the band is white.
            full_rows = (sent - escpos.RASTER_HEADER_LEN) // width_bytes
            dots = black_dots(pages[-1])
            assert dots.shape == (escpos.BAND_ROWS, width)
            assert (dots[:full_rows] == black[:full_rows]).all()
            assert not dots[full_rows + 1 :].any()

"""The simulated panel and the terminal's socket drivers, talking over real Unix sockets."""

from __future__ import annotations

import json
import logging
import select
import socket
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from sim.panel import PanelError, SimulatedPanel
from terminal.hal.interfaces import Box, Frame, Key, Target, TouchEvent
from terminal.hal.panel_protocol import decode_key, encode_frame, encode_key, read_frame
from terminal.hal.socket_panel import PanelConnectionError, SocketDisplay, SocketKeypad, SocketTouch
from terminal.jsonfmt import FormatError

W, H = 80, 40
OK = Target("ok", "Confirm", Box(10, 10, 30, 20))
BACK = Target("back", "Back", Box(40, 10, 70, 30))


def frame(name: str, colour: tuple[int, int, int], targets: tuple[Target, ...] = ()) -> Frame:
    return Frame(name, Image.new("RGB", (W, H), colour), targets)


@pytest.fixture
def panel(tmp_path: Path) -> Iterator[SimulatedPanel]:
    with SimulatedPanel(tmp_path / "dev") as simulated:
        yield simulated


def read_events(touch: SocketTouch, count: int, timeout: float = 2.0) -> list[TouchEvent]:
    """Select and read like the terminal's main loop until `count` events arrived."""
    events: list[TouchEvent] = []
    deadline = time.monotonic() + timeout
    while len(events) < count and time.monotonic() < deadline:
        if select.select([touch.fileno()], [], [], deadline - time.monotonic())[0]:
            events += touch.read()
    return events


def test_frames_arrive_with_their_picture_and_targets(panel: SimulatedPanel) -> None:
    display = SocketDisplay(panel.display_path, W, H)
    sent = frame("ballot", (200, 30, 30), (OK, BACK))
    sent.image.putpixel((W - 1, H - 1), (1, 2, 3))
    display.show(sent)
    shown = panel.wait_for(lambda f: f.name == "ballot", timeout=2)
    assert shown.targets == (OK, BACK)
    assert shown.image.size == (W, H)
    assert shown.image.tobytes() == sent.image.tobytes()
    display.show(frame("thanks", (0, 0, 0)))
    assert panel.wait_for(lambda f: f.name == "thanks", timeout=2).targets == ()
    assert panel.frame_count == 2
    assert panel.errors == []
    display.close()


def test_a_frame_of_the_wrong_size_is_refused(panel: SimulatedPanel) -> None:
    display = SocketDisplay(panel.display_path, W, H)
    small = Frame("small", Image.new("RGB", (W - 1, H)))
    with pytest.raises(ValueError, match="79x40"):
        display.show(small)
    display.close()


def test_waiting_for_a_screen_that_never_comes_times_out(panel: SimulatedPanel) -> None:
    display = SocketDisplay(panel.display_path, W, H)
    display.show(frame("welcome", (0, 0, 0)))
    with pytest.raises(TimeoutError, match="welcome"):
        panel.wait_for(lambda f: f.name == "ballot", timeout=0.3)
    display.close()


def test_a_tap_arrives_as_down_then_up_at_the_target_centre(panel: SimulatedPanel) -> None:
    display = SocketDisplay(panel.display_path, W, H)
    touch = SocketTouch(panel.touch_path)
    display.show(frame("ballot", (255, 255, 255), (OK, BACK)))
    panel.wait_for(lambda f: f.name == "ballot", timeout=2)
    panel.tap_target("back")
    panel.tap(3, 4)
    assert read_events(touch, 4) == [
        TouchEvent(55, 20, True),
        TouchEvent(55, 20, False),
        TouchEvent(3, 4, True),
        TouchEvent(3, 4, False),
    ]
    with pytest.raises(PanelError, match="no target 'missing'"):
        panel.tap_target("missing")
    display.close()
    touch.close()


def test_a_tap_with_no_terminal_connected_is_an_error(panel: SimulatedPanel) -> None:
    with pytest.raises(PanelError, match="no terminal connected"):
        panel.tap(1, 1, timeout=0.1)


def test_the_panel_accepts_a_restarted_terminal(panel: SimulatedPanel) -> None:
    display = SocketDisplay(panel.display_path, W, H)
    touch = SocketTouch(panel.touch_path)
    display.show(frame("before", (10, 10, 10), (OK,)))
    panel.wait_for(lambda f: f.name == "before", timeout=2)
    # The terminal process dies: the kernel closes its sockets.
    display.close()
    touch.close()

    display = SocketDisplay(panel.display_path, W, H)
    touch = SocketTouch(panel.touch_path)
    display.show(frame("after", (20, 20, 20), (OK,)))
    panel.wait_for(lambda f: f.name == "after", timeout=2)
    panel.tap_target("ok")
    assert read_events(touch, 2) == [TouchEvent(20, 15, True), TouchEvent(20, 15, False)]
    assert panel.frame_count == 2
    display.close()
    touch.close()


def test_a_new_display_connection_replaces_one_not_yet_closed(panel: SimulatedPanel) -> None:
    old = SocketDisplay(panel.display_path, W, H)
    old.show(frame("old", (1, 1, 1)))
    panel.wait_for(lambda f: f.name == "old", timeout=2)
    new = SocketDisplay(panel.display_path, W, H)
    new.show(frame("new", (2, 2, 2)))
    panel.wait_for(lambda f: f.name == "new", timeout=2)
    old.close()
    new.show(frame("newer", (3, 3, 3)))
    panel.wait_for(lambda f: f.name == "newer", timeout=2)
    assert panel.errors == []
    new.close()


def test_drivers_wait_for_a_simulator_that_starts_late(tmp_path: Path) -> None:
    connected: list[SocketDisplay] = []
    path = tmp_path / "dev" / "display.sock"
    client = threading.Thread(target=lambda: connected.append(SocketDisplay(path, W, H)))
    client.start()
    time.sleep(0.3)
    with SimulatedPanel(tmp_path / "dev") as panel:
        client.join(timeout=5)
        assert connected
        connected[0].show(frame("late", (1, 1, 1)))
        panel.wait_for(lambda f: f.name == "late", timeout=2)
        connected[0].close()


def test_drivers_give_up_clearly_when_no_simulator_listens(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(PanelConnectionError, match=r"touch\.sock"):
        SocketTouch(tmp_path / "touch.sock", connect_timeout=0.2)
    assert time.monotonic() - started < 2


def test_the_terminal_sees_the_simulator_hang_up(tmp_path: Path) -> None:
    panel = SimulatedPanel(tmp_path)
    touch = SocketTouch(panel.touch_path)
    panel.tap(1, 1)  # so the panel has accepted the connection before it closes
    panel.close()
    assert select.select([touch.fileno()], [], [], 2)[0]
    assert touch.read() == [TouchEvent(1, 1, True), TouchEvent(1, 1, False)]
    with pytest.raises(PanelConnectionError, match="hung up"):
        touch.read()
    touch.close()


def test_malformed_touch_lines_are_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "touch.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    touch = SocketTouch(path)
    conn, _ = server.accept()
    lines = [
        b'{"x": 1, "y": 2, "down": true}',
        b"not json",
        b'{"x": 1, "y": 2}',
        b'{"x": true, "y": 2, "down": true}',
        b'{"x": -1, "y": 2, "down": true}',
        b'{"x": 1, "y": 2, "down": false, "extra": 0}',
        b"\xff\xfe",
        b"[1, 2, 3]",
        b'{"x": 1, "y": 2, "down": true}' + b" " * 300,
        b'{"x": 7, "y": 8, "down": false}',
    ]
    with caplog.at_level(logging.WARNING):
        conn.sendall(b"\n".join(lines)[:50])
        time.sleep(0.05)  # the first line now arrives in two pieces
        conn.sendall(b"\n".join(lines)[50:] + b"\n")
        events = read_events(touch, 2)
        time.sleep(0.05)
        events += touch.read()
    assert events == [TouchEvent(1, 2, True), TouchEvent(7, 8, False)]
    assert caplog.text.count("skipped a touch line") == 7
    assert "longer than 256 bytes" in caplog.text
    conn.close()
    server.close()
    touch.close()


def test_distinct_frames_are_saved_once_each(panel: SimulatedPanel, tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    display = SocketDisplay(panel.display_path, W, H)
    display.show(frame("welcome", (0, 0, 255)))
    panel.wait_for(lambda f: f.name == "welcome", timeout=2)
    panel.save_distinct(shots)
    for name, colour in [
        ("ballot", (255, 0, 0)),
        ("welcome", (0, 0, 255)),
        ("ballot", (255, 0, 0)),
        ("a/b c", (0, 255, 0)),
    ]:
        display.show(frame(name, colour))
    panel.wait_for(lambda f: f.name == "a/b c", timeout=2)
    assert sorted(p.name for p in shots.iterdir()) == [
        "0001-welcome.png",
        "0002-ballot.png",
        "0003-a_b_c.png",
    ]
    with Image.open(shots / "0002-ballot.png") as saved:
        assert saved.convert("RGB").tobytes() == frame("x", (255, 0, 0)).image.tobytes()
    display.close()


def test_a_malformed_frame_drops_the_connection_not_the_panel(panel: SimulatedPanel) -> None:
    bad = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    bad.connect(str(panel.display_path))
    header = json.dumps(
        {"name": "x", "width": 5000, "height": 1, "mode": "RGB", "targets": [], "focus": None}
    )
    bad.sendall(struct.pack(">I", len(header)) + header.encode())
    deadline = time.monotonic() + 2
    while not panel.errors and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "'width' must be at most 4096" in panel.errors[0]
    bad.close()
    display = SocketDisplay(panel.display_path, W, H)
    display.show(frame("fine", (0, 0, 0)))
    panel.wait_for(lambda f: f.name == "fine", timeout=2)
    display.close()


def header_message(header: dict[str, object], pixels: bytes = b"") -> bytes:
    data = json.dumps(header).encode()
    return struct.pack(">I", len(data)) + data + pixels


GOOD = {"name": "s", "width": 2, "height": 1, "mode": "RGB", "targets": [], "focus": None}
TARGET = {"id": "a", "label": "A", "box": [0, 0, 1, 1]}


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        (struct.pack(">I", 0), "header length 0"),
        (struct.pack(">I", 2**21), "header length"),
        (struct.pack(">I", 4) + b"\xff\xff\xff\xff", "not valid JSON"),
        (header_message({**GOOD, "mode": "RGBA"}, bytes(6)), "'mode'"),
        (header_message({**GOOD, "width": 0}), "'width' must be at least 1"),
        (header_message({**GOOD, "height": 4097}), "'height' must be at most 4096"),
        (header_message({**GOOD, "extra": 1}, bytes(6)), "fields must be exactly"),
        (header_message({**GOOD, "name": ""}, bytes(6)), "'name'"),
        (header_message({**GOOD, "targets": [{**TARGET, "box": [0, 0, 3, 1]}]}), "off the"),
        (header_message({**GOOD, "targets": [{**TARGET, "box": [1, 0, 1, 1]}]}), "empty"),
        (header_message({**GOOD, "targets": [{**TARGET, "box": [0, 0, True, 1]}]}), "four"),
        (header_message({**GOOD, "targets": [TARGET, TARGET]}, bytes(6)), "not unique"),
        (header_message({**GOOD, "targets": [TARGET], "focus": "b"}, bytes(6)), "'focus'"),
        (header_message(GOOD, bytes(5)), "ended in the middle"),
        (struct.pack(">I", 10) + b"{", "ended in the middle"),
    ],
)
def test_the_frame_reader_refuses_malformed_messages(message: bytes, problem: str) -> None:
    sender, receiver = socket.socketpair()
    sender.sendall(message)
    sender.close()
    with pytest.raises(FormatError, match=problem):
        read_frame(receiver)
    receiver.close()


def test_the_frame_reader_reads_what_the_writer_wrote() -> None:
    sender, receiver = socket.socketpair()
    sent = Frame("ü", Image.new("L", (3, 2), 128), (Target("t", "Таңда", Box(0, 0, 3, 2)),), "t")
    sender.sendall(encode_frame(sent) * 2)
    sender.close()
    for _ in range(2):
        header, image = read_frame(receiver)
        assert (header.name, header.width, header.height, header.targets, header.focus) == (
            "ü",
            3,
            2,
            sent.targets,
            "t",
        )
        assert image.mode == "RGB" and image.getpixel((2, 1)) == (128, 128, 128)
    with pytest.raises(EOFError):
        read_frame(receiver)
    receiver.close()


def test_keys_pressed_on_the_panel_reach_the_terminal_in_order(panel: SimulatedPanel) -> None:
    keypad = SocketKeypad(panel.keypad_path)
    for pressed in (Key.DOWN, Key.DOWN, Key.SELECT, Key.BACK, Key.HELP, Key.UP):
        panel.press_key(pressed)
    received: list[Key] = []
    deadline = time.monotonic() + 2
    while len(received) < 6 and time.monotonic() < deadline:
        select.select([keypad.fileno()], [], [], 0.1)
        received += keypad.read()
    assert received == [Key.DOWN, Key.DOWN, Key.SELECT, Key.BACK, Key.HELP, Key.UP]
    keypad.close()


@pytest.mark.parametrize(
    ("line", "problem"),
    [(b'{"key":"left"}', "must be one of"), (b'{"key":"up","x":1}', "exactly"), (b"up", "JSON")],
)
def test_a_malformed_key_line_is_refused(line: bytes, problem: str) -> None:
    with pytest.raises(FormatError, match=problem):
        decode_key(line)
    assert decode_key(encode_key(Key.HELP).rstrip(b"\n")) is Key.HELP

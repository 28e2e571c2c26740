"""The QEMU harness (sim/qemu): its pure parts by default, boots of the guest when slow."""

from __future__ import annotations

import json
import socket
import stat
import threading
import time
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from sim.channels import SocketChannel
from sim.printer import PrintedPage, SimulatedPrinter
from sim.qemu import image, machine, qmp, screens
from sim.qemu.cpio import CpioError, CpioWriter, add_tree, read_entries
from sim.qemu.machine import MachineConfig, qemu_command
from sim.qemu.run import GUEST_BOARD, write_key_disk
from terminal.hal import escpos
from terminal.hal.board_config import load_board
from terminal.hal.device_key import DiskDeviceKey

# --- cpio ---------------------------------------------------------------------------------


def _archive(build: object) -> bytes:
    stream = BytesIO()
    writer = CpioWriter(stream, mtime=1686355200)
    assert callable(build)
    build(writer)
    writer.close()
    return stream.getvalue()


def test_cpio_entries_read_back_with_types_and_data() -> None:
    def build(writer: CpioWriter) -> None:
        writer.directory("usr")
        writer.file("usr/hello", b"hello, world", 0o755)
        writer.symlink("bin", "usr/bin")
        writer.char_device("console", 5, 1)

    data = _archive(build)
    assert len(data) % 4 == 0
    entries = {name: (mode, body) for name, mode, body in read_entries(data)}
    assert stat.S_ISDIR(entries["usr"][0])
    assert entries["usr/hello"] == (stat.S_IFREG | 0o755, b"hello, world")
    assert stat.S_ISLNK(entries["bin"][0]) and entries["bin"][1] == b"usr/bin"
    assert stat.S_ISCHR(entries["console"][0])


def test_cpio_header_is_newc_with_fixed_mtime_and_root_owner() -> None:
    data = _archive(lambda w: w.file("a", b"x"))
    assert data[:6] == b"070701"
    fields = [int(data[6 + 8 * i : 14 + 8 * i], 16) for i in range(13)]
    inode, _mode, uid, gid, nlink, mtime, size = fields[:7]
    assert (inode, uid, gid, nlink, mtime, size) == (1, 0, 0, 1, 1686355200, 1)
    assert data.rstrip(b"\0").endswith(b"TRAILER!!!")


def test_concatenated_archives_read_as_one() -> None:
    first = _archive(lambda w: w.file("a", b"1"))
    second = _archive(lambda w: w.file("b", b"22"))
    assert [name for name, _, _ in read_entries(first + second)] == ["a", "b"]


@pytest.mark.parametrize("name", ["", "/abs", "a\0b", "TRAILER!!!"])
def test_cpio_refuses_bad_names(name: str) -> None:
    with pytest.raises(CpioError):
        _archive(lambda w: w.file(name, b""))


def test_cpio_refuses_duplicates() -> None:
    def build(writer: CpioWriter) -> None:
        writer.file("a", b"")
        writer.file("a", b"")

    with pytest.raises(CpioError):
        _archive(build)


def test_add_tree_is_sorted_parents_first_and_reproducible(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "b" / "inner").mkdir(parents=True)
    (root / "a").write_text("a")
    (root / "b" / "z").write_text("z")
    (root / "b" / "inner" / "deep").write_text("deep")
    (root / "link").symlink_to("b")
    (root / "skipped").mkdir()
    (root / "skipped" / "x").write_text("x")

    def build(writer: CpioWriter) -> None:
        add_tree(writer, root, skip=frozenset({"skipped"}))

    data = _archive(build)
    names = [name for name, _, _ in read_entries(data)]
    assert names == ["a", "link", "b", "b/z", "b/inner", "b/inner/deep"]
    assert _archive(build) == data


# --- apt ------------------------------------------------------------------------------------


def test_apt_config_is_arm64_with_its_own_state(tmp_path: Path) -> None:
    text = image.apt_config(tmp_path)
    assert 'APT::Architecture "arm64";' in text
    assert f'Dir::State::status "{tmp_path}/status";' in text
    assert f'Dir::Etc::Parts "{tmp_path}/etc/apt.conf.d";' in text
    # Every directory apt uses is under the given root: nothing of the host's apt is touched.
    paths = [line.split('"')[1] for line in text.splitlines() if line.startswith("Dir::")]
    assert paths and all(path.startswith(str(tmp_path)) for path in paths)


def test_prepare_apt_writes_an_empty_status_and_signed_sources(tmp_path: Path) -> None:
    conf = image.prepare_apt(tmp_path)
    assert conf.read_text() == image.apt_config(tmp_path)
    assert (tmp_path / "status").read_text() == ""
    sources = (tmp_path / "etc" / "sources.list").read_text().splitlines()
    assert all(line.startswith(f"deb [signed-by={image.KEYRING}] http") for line in sources)
    assert {line.split()[3] for line in sources} == {
        "bookworm",
        "bookworm-updates",
        "bookworm-security",
    }


def test_simulation_output_is_parsed_into_deb_names() -> None:
    output = (
        "NOTE: This is only a simulation!\n"
        "Inst libc6 (2.36-9+deb12u14 Debian:12.12/stable, Debian-Security:12/stable-security "
        "[arm64])\n"
        "Inst python3-numpy (1:1.24.2-1+deb12u1 Debian:12.12/stable [arm64])\n"
        "Inst fonts-dejavu-core (2.37-6 Debian:12.12/stable [all])\n"
        "Conf libc6 (2.36-9+deb12u14 Debian:12.12/stable [arm64])\n"
    )
    parsed = image.parse_simulation(output)
    assert parsed == [
        ("libc6", "2.36-9+deb12u14", "arm64"),
        ("python3-numpy", "1:1.24.2-1+deb12u1", "arm64"),
        ("fonts-dejavu-core", "2.37-6", "all"),
    ]
    assert image.deb_filename(*parsed[1]) == "python3-numpy_1%3a1.24.2-1+deb12u1_arm64.deb"


def test_image_key_names_the_inputs() -> None:
    assert image.image_key() == image.image_key()
    assert len(image.image_key()) == 16


# --- QMP ------------------------------------------------------------------------------------


def test_the_device_key_is_on_a_read_only_disk_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guest reads its device key from /dev/vda (board_configs/qemu-virt.toml): a raw,
    read-only virtio-blk disk whose first 32 bytes are the shadow's key file."""
    monkeypatch.setattr(machine, "tool", lambda name: name)  # QEMU need not be installed
    key = tmp_path / "device.key"
    key.write_bytes(bytes(range(1, 33)))
    disk = tmp_path / "device-key.img"
    write_key_disk(disk, key)
    assert DiskDeviceKey(disk).read() == key.read_bytes() and disk.stat().st_size == 4096
    assert stat.S_IMODE(disk.stat().st_mode) == 0o600
    guest = image.GuestImage(tmp_path, tmp_path / "vmlinuz", tmp_path / "initrd", {})
    config = MachineConfig(guest, tmp_path / "initrd", tmp_path, disks=(disk,))
    command = qemu_command(config, tmp_path / "qmp.sock", tmp_path / "console.log")
    at = command.index(f"file={disk},if=none,format=raw,readonly=on,id=disk0")
    assert command[at + 1 : at + 3] == ["-device", "virtio-blk-pci,drive=disk0"]
    assert "virtio_blk" in image.MODULES
    assert load_board(GUEST_BOARD).device_key.path == Path("/dev/vda")


def test_qmp_command_encoding() -> None:
    line = qmp.encode_command("screendump", {"filename": "/tmp/x.png", "format": "png"}, 7)
    assert line.endswith(b"\n")
    assert json.loads(line) == {
        "execute": "screendump",
        "id": 7,
        "arguments": {"filename": "/tmp/x.png", "format": "png"},
    }
    assert json.loads(qmp.encode_command("quit", None, 1)) == {"execute": "quit", "id": 1}


def test_touch_coordinates_scale_to_qemu_range() -> None:
    assert qmp.scale(0, 800) == 0
    assert qmp.scale(799, 800) == qmp.ABS_MAX
    assert qmp.scale(400, 800) == 16404
    # The guest maps back linearly over the same ends: every pixel comes back as itself.
    for size in (480, 800):
        for x in range(size):
            assert round(qmp.scale(x, size) / qmp.ABS_MAX * (size - 1)) == x
    with pytest.raises(ValueError):
        qmp.scale(800, 800)


def test_touch_events_press_and_lift() -> None:
    down = qmp.touch_events(10, 20, 800, 480, down=True)
    assert [e["type"] for e in down] == ["abs", "abs", "btn"]
    assert down[2]["data"] == {"down": True, "button": "left"}
    assert qmp.touch_events(10, 20, 800, 480, down=False)[2]["data"]["down"] is False


def test_qmp_client_against_a_fake_qemu(tmp_path: Path) -> None:
    path = tmp_path / "qmp.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    seen: list[dict[str, object]] = []

    def fake_qemu() -> None:
        conn, _ = server.accept()
        conn.sendall(b'{"QMP": {"version": {}, "capabilities": []}}\n')
        reader = conn.makefile("rb")
        for line in reader:
            message = json.loads(line)
            seen.append(message)
            conn.sendall(b'{"event": "SOMETHING", "data": {}}\n')
            if message["execute"] == "bad":
                conn.sendall(json.dumps({"id": message["id"], "error": {"desc": "no"}}).encode())
            else:
                conn.sendall(json.dumps({"id": message["id"], "return": {}}).encode())
            conn.sendall(b"\n")
        conn.close()

    thread = threading.Thread(target=fake_qemu, daemon=True)
    thread.start()
    client = qmp.Qmp(path, timeout=5)
    client.touch(1, 2, 800, 480, down=True)
    with pytest.raises(qmp.QmpError, match="no"):
        client.execute("bad")
    client.close()
    thread.join(timeout=5)
    server.close()
    assert [m["execute"] for m in seen] == ["qmp_capabilities", "input-send-event", "bad"]
    assert client.events


# --- screens --------------------------------------------------------------------------------


def _screen(text: str, dots: int = 0) -> Image.Image:
    picture = Image.new("RGB", (800, 480), "white")
    draw = ImageDraw.Draw(picture)
    draw.text((20, 20), text, fill="black")
    for i in range(dots):
        draw.ellipse((100 + 30 * i, 200, 120 + 30 * i, 220), fill="black")
    return picture


def test_a_screen_matches_itself_with_small_rendering_differences() -> None:
    host = _screen("Polls open", dots=2)
    guest = host.copy()
    guest.putpixel((21, 21), (128, 128, 128))  # a shade: below the pixel threshold
    guest.putpixel((22, 22), (255, 0, 0))  # a pixel off
    ok, distance = screens.matches(guest, host, previous=None)
    assert ok and 0 < distance < screens.TOLERANCE


def test_a_screen_that_differs_by_one_dot_is_not_taken_for_the_next() -> None:
    before, after = _screen("PIN", dots=2), _screen("PIN", dots=3)
    assert screens.difference(before, after) < screens.TOLERANCE
    assert not screens.matches(before, after, previous=before)[0]
    assert screens.matches(after, after, previous=before)[0]


def test_a_different_screen_does_not_match() -> None:
    host = Image.new("RGB", (800, 480), "white")
    guest = Image.new("RGB", (800, 480), "black")
    assert not screens.matches(guest, host, previous=None)[0]
    assert screens.difference(host, host.resize((400, 240))) == 1.0


# --- the printer on a socket ---------------------------------------------------------------


def test_simulated_printer_on_a_socket_survives_reconnects(tmp_path: Path) -> None:
    """A page started on one connection (boot) and cut on the next is one page, as paper is."""
    pages: list[PrintedPage] = []
    channel = SocketChannel(tmp_path / "printer.sock")
    printer = SimulatedPrinter(pages.append, width=384, channel=channel)
    picture = Image.new("1", (384, 16), 1)
    ImageDraw.Draw(picture).rectangle((10, 2, 100, 12), fill=0)
    try:
        first = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        first.connect(printer.port)
        first.settimeout(5)
        first.sendall(b"".join(escpos.raster_bands(picture)))
        first.sendall(escpos.status_request(escpos.StatusQuery.PRINTER))
        assert len(first.recv(1)) == 1, "a status request is answered on the socket"
        first.close()  # the guest's power is cut
        second = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        second.connect(printer.port)
        second.settimeout(5)
        second.sendall(escpos.cut() + escpos.status_request(escpos.StatusQuery.PRINTER))
        assert len(second.recv(1)) == 1, "the next boot's connection is answered"
        second.close()
    finally:
        deadline = time.monotonic() + 5
        while not pages and time.monotonic() < deadline:
            time.sleep(0.01)
        printer.close()
    assert channel.connections == 2
    assert len(pages) == 1
    top = pages[0].image.crop((0, 0, 384, 16)).convert("1")
    assert top.tobytes() == picture.tobytes()
    assert not Path(printer.port).exists()


def test_socket_channel_drops_writes_with_no_one_connected(tmp_path: Path) -> None:
    channel = SocketChannel(tmp_path / "scanner.sock")
    try:
        channel.write(b"lost\r")  # nobody connected: dropped like a scan into a dead port
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.connect(channel.port)
        assert channel.connected
        channel.write(b"123\r")
        client.settimeout(5)
        assert client.recv(100) == b"123\r"
        client.close()
    finally:
        channel.close()


# --- the guest itself (slow: QEMU under TCG) ------------------------------------------------


@pytest.fixture(scope="module")
def guest_image() -> image.GuestImage:
    from sim.qemu.setup import ensure_tools

    ensure_tools()
    return image.build(log=False)


@pytest.mark.slow
def test_guest_boots_and_imports_the_terminals_packages(
    guest_image: image.GuestImage, tmp_path: Path
) -> None:
    from sim.qemu.__main__ import boot_check

    timings = boot_check(tmp_path / "boot")
    assert timings["total_s"] < 120
    console = (tmp_path / "boot" / "console.log").read_text()
    assert "/dev/fb0" in console and "/dev/ttyUSB1" in console
    assert "TAMGA: versions 38.0.4 9.4.0 3.5 1.24.2 1.4.1" in console


@pytest.mark.slow
def test_a_small_day_with_a_power_cut_in_the_guest(
    guest_image: image.GuestImage, tmp_path: Path
) -> None:
    from sim.qemu.harness import guest_day

    report = guest_day(guest_image, tmp_path / "day", voters=3, seed=5, cuts=1)
    assert report.cuts == 1
    assert sum(sum(c.values()) for c in report.tally.values()) == report.cast
    assert report.stats.screens_matched > 10

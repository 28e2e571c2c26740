"""Party logos: the definition names a PNG for a party, `election create` checks and copies
it, the signed package binds it by hash, and the ballot draws it beside the party's list; a
logo altered in the package, or one that is not an image a terminal can draw, is refused
with its name."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from sim import screen_states
from terminal.app.screens import draw
from terminal.ballot.logo import LOGO_CAP, LogoError, check_logo
from terminal.ballot.package import PackageError
from tests.host.test_commission_desk import DEFINITION, refused_at_create, signed_from

BLUE = (20, 70, 150)


def png(
    width: int = 64, height: int = 64, colour: tuple[int, ...] = BLUE, mode: str = "RGB"
) -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), colour).save(out, "PNG")
    return out.getvalue()


def claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims `width` x `height` pixels (a decompression bomb's
    first step): its image data is a 32 x 32 one's."""
    data = bytearray(png(32, 32))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


def with_party_list(root: Path, logo: str = "logos/blue.png") -> Path:
    """The desk tests' definition with a party-list contest whose first party has a logo."""
    path = root / "def.toml"
    path.write_text(
        DEFINITION
        + f"""
[[parties]]
id = "blue"
number = 1
logo = "{logo}"
names = {{ ru = "Синяя партия", en = "Blue party" }}

[[parties]]
id = "green"
number = 2
names = {{ ru = "Зелёная партия", en = "Green party" }}

[[contests]]
id = "lists"
kind = "party_list"
titles = {{ ru = "Списки", en = "Lists" }}
choices = [
  {{ id = "list-blue", party = "blue", names = {{ ru = "Список синих", en = "Blue list" }} }},
  {{ id = "list-green", party = "green", names = {{ ru = "Список зелёных", en = "Green list" }} }},
]
""",
        encoding="utf-8",
    )
    return path


def test_a_logo_travels_signed_and_an_altered_one_is_refused(tmp_path: Path) -> None:
    (tmp_path / "logos").mkdir()
    (tmp_path / "logos" / "blue.png").write_bytes(png(80, 60, (*BLUE, 255), "RGBA"))
    definition = with_party_list(tmp_path)
    # The original is not needed after create: the election directory holds its copy.
    election, package = signed_from(definition, tmp_path / "logos")
    blue, green = package.election.contest("lists").choices  # type: ignore[union-attr]
    assert green.party is not None and green.party.logo is None
    assert blue.party is not None and blue.party.logo is not None
    logo = blue.party.logo
    assert logo.file == f"logo-{logo.sha256[:16]}.png"
    (image,) = package.logo_images().values()
    assert image.size == (80, 60) and image.getpixel((40, 30)) == BLUE

    # The package's copy altered after signing: refused, naming the file.
    (election / "package" / logo.file).write_bytes(png(80, 60, (200, 0, 0)))
    with pytest.raises(PackageError, match=f"package/{logo.file}: altered"):
        package.logo_images()
    (election / "package" / logo.file).unlink()
    with pytest.raises(PackageError, match=f"package/{logo.file}: missing"):
        package.logo_images()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (None, "no such file"),
        (b"GIF89a" + bytes(100), "not a PNG file"),
        (png()[:60], "not a readable PNG image"),
        (png(2000, 40), "2000 x 40 pixels; each side of a logo is 32 to 1024 pixels"),
        (png(16, 16), "16 x 16 pixels"),
        (claiming(100_000, 100_000), "100000 x 100000 pixels"),
        (png()[:-12] + b"\x00" * LOGO_CAP, "larger than its format allows"),
    ],
    ids=["missing", "gif", "truncated", "too-wide", "too-small", "bomb", "too-large"],
)
def test_a_bad_logo_is_refused_at_its_place(
    tmp_path: Path, data: bytes | None, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if data is not None:
        (tmp_path / "logo.png").write_bytes(data)
    err = refused_at_create(with_party_list(tmp_path, "logo.png"), capsys)
    assert expected in err and "parties[0].logo" in err


def test_the_terminal_checks_a_logo_itself() -> None:
    """What the package's hash binds is checked as an image again: the terminal does not
    trust the commission's tools to have checked it."""
    assert check_logo(png(32, 1024), "x").size == (32, 1024)
    with pytest.raises(LogoError, match=r"package/logo-x\.png: not a PNG file"):
        check_logo(b"<svg/>", "package/logo-x.png")
    with pytest.raises(LogoError, match="1025 x 32 pixels"):
        check_logo(claiming(1025, 32), "x")
    # Transparency is the paper's white, in both display modes.
    clear = check_logo(png(40, 40, (0, 0, 0, 0), "RGBA"), "x")
    assert clear.mode == "RGB" and clear.getpixel((20, 20)) == (255, 255, 255)


@pytest.mark.parametrize("mode", ["normal", "contrast", "large"])
def test_the_party_list_draws_each_logo_beside_its_party(mode: str) -> None:
    (state,) = [s for s in screen_states.STATES if s.name == "ballot-party-list"]
    for panel in screen_states.board_panels():
        shot = screen_states.Shot(state, panel, mode, "ru")
        plan = shot.layout()
        pictured = [p for p in plan.placed if p.picture is not None]
        # The first three parties have logos, the others none (a logo is optional).
        assert [p.element.text.split(".")[0] for p in pictured] == ["1", "2", "3"][: len(pictured)]
        assert pictured, shot.name
        image = draw(plan, screen_states.Fonts())
        for item in pictured:
            box, picture = item.picture_box, item.picture
            assert box is not None and picture is not None
            # Inside its button, left of its text, and at least 6 mm high.
            assert item.box.left < box.left and box.right < item.box.right
            assert item.text_left == box.right
            assert (box.bottom - box.top) / plan.style.px_per_mm >= 6
            # What is drawn there is the logo: the ala-too emblem's blue at its centre.
            if picture.key == next(iter(screen_states.catalogue_logos())):
                centre = image.getpixel(
                    ((box.left + box.right) // 2, box.top + (box.bottom - box.top) // 4)
                )
                assert max(abs(a - b) for a, b in zip(centre, BLUE, strict=True)) <= 8, centre

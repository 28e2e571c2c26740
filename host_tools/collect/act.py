"""The acceptance-transfer act (акт приема-передачи) of a bundle moved on a medium.

The voter-list rules (KZ CEC resolution 11/196, section 5) have data on electronic media
handed over "по акту приема-передачи": signed by the representatives of both sides, naming
the files, their size in bytes and the number of records in each. Tamga's act says that for
every file of a results bundle, adds its SHA-256 (so the act pins the bytes, not only their
length), and names who handed the medium over and who accepted it.

It is written twice, from the same data: `<stem>.json` (format tamga-act/1, what `collect
--act` checks) and `<stem>.pdf` (A4, printed and signed by hand). Records per file: lines
for events.jsonl, sealed ballots for ballots.bin, 1 for every other file (one signed
document, signature or key).

The act is made from the files as they are on the medium, not from what the bundle says
about itself: it is a record of what was handed over, checked before anything is verified.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from terminal.jsonfmt import FormatError, canonical_json, load_object
from terminal.tally.bundle import BALLOTS, EVENTS
from terminal.tally.sealing import RECORD_SIZE
from terminal.trust.files import write_public_file

FORMAT = "tamga-act/1"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
TITLE = {
    "ru": "Акт приема-передачи",
    "kk": "Қабылдау-беру актісі",
    "ky": "Кабыл алуу-өткөрүп берүү акты",
}
# A bundle has a dozen or so files; anything near this is not a bundle.
MAX_FILES = 1000


class ActError(Exception):
    """An act cannot be made, read, or does not match its bundle; the message names the file."""


@dataclass(frozen=True)
class FileEntry:
    name: str  # bundle-relative, with "/"
    size: int
    records: int
    sha256: str


@dataclass(frozen=True)
class Act:
    election: str
    precinct: str
    terminal: str
    bundle: str  # the bundle directory's name on the medium
    made_at: str  # local time, ISO 8601, to the minute
    handed_over: str
    accepted: str
    files: tuple[FileEntry, ...]

    def to_json(self) -> bytes:
        return canonical_json(
            {
                "format": FORMAT,
                "title": TITLE,
                "election": self.election,
                "precinct": self.precinct,
                "terminal": self.terminal,
                "bundle": self.bundle,
                "made_at": self.made_at,
                "handed_over": self.handed_over,
                "accepted": self.accepted,
                "files": [
                    {"name": f.name, "bytes": f.size, "records": f.records, "sha256": f.sha256}
                    for f in self.files
                ],
                "total": {
                    "files": len(self.files),
                    "bytes": sum(f.size for f in self.files),
                    "records": sum(f.records for f in self.files),
                },
            }
        )

    @classmethod
    def from_json(cls, data: bytes, source: str) -> Act:
        try:
            f = load_object(data, source)
            if f.str("format") != FORMAT:
                raise FormatError(f"{source}: format must be {FORMAT!r}")
            files = tuple(
                FileEntry(e.str("name"), e.int("bytes"), e.int("records"), e.str("sha256"))
                for e in f.objects("files")
            )
            return cls(
                election=f.str("election"),
                precinct=f.str("precinct"),
                terminal=f.str("terminal"),
                bundle=f.str("bundle"),
                made_at=f.str("made_at"),
                handed_over=f.str("handed_over"),
                accepted=f.str("accepted"),
                files=files,
            )
        except FormatError as exc:
            raise ActError(str(exc)) from exc


def _records(name: str, size: int, data: bytes) -> int:
    if name == EVENTS:
        return data.count(b"\n")
    if name == BALLOTS:
        return size // RECORD_SIZE
    return 1


def list_files(bundle: Path) -> tuple[FileEntry, ...]:
    """Every file of the bundle directory, sorted by name. Links, devices and FIFOs are
    refused: a medium's bundle holds regular files and directories only."""
    entries: list[FileEntry] = []
    pending = [bundle]
    while pending:
        directory = pending.pop()
        try:
            names = sorted(os.listdir(directory))
        except OSError as exc:
            raise ActError(f"{directory}: cannot list it ({exc.strerror})") from exc
        for name in names:
            path = directory / name
            info = path.lstat()
            if stat.S_ISDIR(info.st_mode):
                pending.append(path)
                continue
            relative = path.relative_to(bundle).as_posix()
            if not stat.S_ISREG(info.st_mode):
                raise ActError(f"{path}: not a regular file (a link, device or FIFO)")
            if len(entries) >= MAX_FILES:
                raise ActError(f"{bundle}: more than {MAX_FILES} files; not a results bundle")
            data = path.read_bytes()
            entries.append(
                FileEntry(
                    relative,
                    len(data),
                    _records(relative, len(data), data),
                    hashlib.sha256(data).hexdigest(),
                )
            )
    return tuple(sorted(entries, key=lambda e: e.name))


def make_act(
    bundle: Path,
    ids: dict[str, str],
    handed_over: str,
    accepted: str,
    now: dt.datetime | None = None,
    listing: tuple[FileEntry, ...] | None = None,
) -> Act:
    """The act of the bundle as it is on the medium now (or as `listing`, just made by
    list_files, says); `ids` holds election, precinct and terminal."""
    made = (now or dt.datetime.now().astimezone()).isoformat(timespec="minutes")
    return Act(
        election=ids["election"],
        precinct=ids["precinct"],
        terminal=ids["terminal"],
        bundle=bundle.name,
        made_at=made,
        handed_over=handed_over,
        accepted=accepted,
        files=listing if listing is not None else list_files(bundle),
    )


def act_stem(act: Act) -> str:
    return f"act-{act.terminal}-{act.bundle}"


def write_act(directory: Path, act: Act) -> tuple[Path, Path]:
    """Write the act as JSON and as a printable PDF; return both paths."""
    stem = act_stem(act)
    json_path, pdf_path = directory / f"{stem}.json", directory / f"{stem}.pdf"
    write_public_file(json_path, act.to_json())
    write_public_file(pdf_path, act_pdf(act))
    return json_path, pdf_path


def read_act(path: Path) -> Act:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ActError(f"{path}: cannot read the act ({exc.strerror})") from exc
    return Act.from_json(data, str(path))


def check_act(
    received: Act, source: Path, bundle: Path, listing: tuple[FileEntry, ...] | None = None
) -> None:
    """That the bundle on the medium is what the received act lists, file by file.

    Raises ActError naming the act and the first file that differs."""
    found = {f.name: f for f in (listing if listing is not None else list_files(bundle))}
    listed = {f.name: f for f in received.files}
    for name in sorted(listed.keys() | found.keys()):
        if name not in found:
            raise ActError(f"act {source}: {name}: listed in the act, missing from {bundle}")
        if name not in listed:
            raise ActError(f"act {source}: {name}: in {bundle}, not listed in the act")
        want, got = listed[name], found[name]
        for what, a, b in (
            ("bytes", want.size, got.size),
            ("records", want.records, got.records),
            ("SHA-256", want.sha256, got.sha256),
        ):
            if a != b:
                raise ActError(
                    f"act {source}: {name}: {what} {a} in the act, {b} in the bundle {bundle}"
                )


# --- the printable act -------------------------------------------------------------------------

# A4 at 150 dpi: enough for 9-point text, small enough for any printer driver.
PAGE = (1240, 1754)
MARGIN = 90


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(str(FONT_DIR / name), size)
    except OSError as exc:
        raise ActError(f"{FONT_DIR / name}: missing (install fonts-dejavu-core)") from exc


def act_pdf(act: Act) -> bytes:
    """The act as a PDF of its A4 pages (act_pages)."""
    pages = act_pages(act)
    buffer = io.BytesIO()
    pages[0].save(buffer, format="PDF", resolution=150, save_all=True, append_images=pages[1:])
    return buffer.getvalue()


def act_pages(act: Act) -> list[Image.Image]:
    """The act on A4 pages: title in three languages, the ids, one table row per file (the
    SHA-256 in full on two lines), totals, and the two signature lines."""

    text, bold, mono = _font(22), _font(30, True), _font(15)
    pages: list[Image.Image] = []

    def new_page() -> tuple[Image.Image, ImageDraw.ImageDraw]:
        image = Image.new("L", PAGE, 255)
        pages.append(image)
        return image, ImageDraw.Draw(image)

    _, draw = new_page()
    y = MARGIN
    for title in TITLE.values():
        draw.text((MARGIN, y), title, font=bold, fill=0)
        y += 44
    y += 16
    header = [
        f"Выборы / Election: {act.election}",
        f"Участок / Precinct: {act.precinct}    Терминал / Terminal: {act.terminal}",
        f"Пакет результатов / Results bundle: {act.bundle}",
        f"Составлен / Made: {act.made_at}",
        "Носитель передан со следующими файлами (название, размер в байтах, записей, SHA-256):",
    ]
    for line in header:
        draw.text((MARGIN, y), line, font=text, fill=0)
        y += 36
    y += 10
    columns = (MARGIN, MARGIN + 60, MARGIN + 560, MARGIN + 720)
    for x, label in zip(columns, ("№", "Файл / File", "Байт", "Записей"), strict=True):
        draw.text((x, y), label, font=text, fill=0)
    y += 34
    for number, entry in enumerate(act.files, 1):
        if y > PAGE[1] - MARGIN - 260:
            _, draw = new_page()
            y = MARGIN
        draw.line((MARGIN, y - 4, PAGE[0] - MARGIN, y - 4), fill=128)
        cells = (str(number), entry.name, f"{entry.size:,}".replace(",", " "), str(entry.records))
        for x, cell in zip(columns, cells, strict=True):
            draw.text((x, y), cell, font=text, fill=0)
        y += 30
        draw.text((columns[1], y), entry.sha256, font=mono, fill=0)
        y += 34
    total_bytes = sum(f.size for f in act.files)
    total_records = sum(f.records for f in act.files)
    draw.line((MARGIN, y - 4, PAGE[0] - MARGIN, y - 4), fill=0)
    draw.text(
        (MARGIN, y),
        f"Итого / Total: файлов {len(act.files)}, байт {total_bytes:,}, записей "
        f"{total_records:,}".replace(",", " "),
        font=text,
        fill=0,
    )
    y += 90
    for label, name in (
        ("Сдал / Тапшырды / Тапсырды", act.handed_over),
        ("Принял / Кабыл алды / Қабылдады", act.accepted),
    ):
        draw.text((MARGIN, y), f"{label}: {name}", font=text, fill=0)
        draw.text((MARGIN, y + 40), "подпись / кол / қолы ____________________", font=text, fill=0)
        y += 110
    return pages

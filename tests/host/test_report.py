"""`host_tools report`: one self-contained page, checked by an HTML parser and, where Debian's
chromium is installed, rendered headless to a screenshot."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from host_tools.__main__ import main
from terminal.tally.bundle import EVENTS
from tests.host.desk_election import PRECINCTS, DeskElection, ballots, make_election

pytestmark = pytest.mark.host_only
PLOT_BLUE = (0x2C, 0x6F, 0xBB)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


class PageCheck(HTMLParser):
    """Tables and their rows, and anything that would load from outside the page."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, int]] = []
        self.external: list[str] = []
        self.svgs = 0
        self.headings: list[str] = []
        self._in_h2 = False
        self._section = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append({"th": 0, "rows": 0, "section": len(self.headings)})
        elif tag == "th":
            self.tables[-1]["th"] += 1
        elif tag == "tr" and self.tables and self.tables[-1]["th"]:
            self.tables[-1]["rows"] += 1
        elif tag == "svg":
            self.svgs += 1
        elif tag == "h2":
            self._in_h2 = True
        if tag in ("img", "script", "link", "iframe", "object", "embed"):
            self.external.append(tag)
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith("#"):
                self.external.append(f"{tag} {name}={value}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self.headings.append(data)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[DeskElection, Path]:
    desk = make_election(tmp_path_factory.mktemp("report"))
    paths = [desk.bundle(code, ballots(i, 4 + i)) for i, code in enumerate(PRECINCTS)]
    paths.append(desk.bundle("1001", ballots(99, 3), name="conflicting"))
    broken = desk.bundle("2002", ballots(5, 2), name="broken")
    (broken / EVENTS).write_bytes((broken / EVENTS).read_bytes()[:-10] + b"xxxxxxxxx\n")
    paths.append(broken)
    database = desk.root / "results.sqlite"
    main(
        [
            "collect",
            "--db",
            str(database),
            "--package",
            str(desk.package),
            *desk.pin,
            "--jobs",
            "1",
            *map(str, paths),
        ]
    )
    out = desk.root / "report.html"
    assert main(["report", "--db", str(database), "--out", str(out)]) == 0
    return desk, out


def test_the_page_holds_every_section_and_loads_nothing(
    report: tuple[DeskElection, Path],
) -> None:
    _, out = report
    page = out.read_text(encoding="utf-8")
    check = PageCheck()
    check.feed(page)
    assert check.external == []
    assert check.svgs == 1  # the turnout plot, inline
    assert len(check.headings) == 8
    for heading in ("Turnout by hour", "consistency", "Conflicts", "Refused", "power cuts", "Test"):
        assert any(heading in h for h in check.headings), heading
    # No empty table: each has a header and at least one row below it ("none" says so).
    assert all(t["th"] and t["rows"] >= 1 for t in check.tables), check.tables
    # What happened is on the page: the conflict, the failure and its reason, the bundles.
    assert "CONFLICT (not counted)" in page and "conflicting" in page
    assert "FAILED verification" in page and "broken/events.jsonl" in page
    assert page.count("<td>counted</td><td>official</td>") == len(PRECINCTS)


def test_chromium_renders_it(report: tuple[DeskElection, Path], tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (scripts/setup-system.sh installs it)")
    _, out = report
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1280,2400",
            out.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 2400)
    colours = image.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 10  # text and tables, not a blank page
    # The inline plot was drawn: its bars' blue is on the screen.
    assert any(colour == PLOT_BLUE for _, colour in colours)

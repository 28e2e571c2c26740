"""The host tools' messages in Russian, Kyrgyz and Kazakh (domain tamga-host): every message
the election commands mark is translated in each catalog, and a user whose locale is one of
them reads the message in it."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from host_tools.__main__ import main
from host_tools.election import messages

# pybabel is a developer's tool: the Bookworm pass (terminal versions) has none.
pytestmark = pytest.mark.host_only
write_mo = pytest.importorskip("babel.messages.mofile").write_mo
read_po = pytest.importorskip("babel.messages.pofile").read_po

SOURCES = Path(messages.__file__).parent
LANGUAGES = ("ru", "ky", "kk")


def marked() -> set[str]:
    """Every literal passed to _() in host_tools/election/."""
    found = set()
    for path in SOURCES.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "_"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add(node.args[0].value)
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_marked_message_is_translated(language: str) -> None:
    path = messages.LOCALE_DIR / language / "LC_MESSAGES" / f"{messages.DOMAIN}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id: m.string for m in catalog if m.id}
    wanted = marked()
    assert len(wanted) > 20
    assert wanted <= set(translated), wanted - set(translated)
    for msgid in wanted:
        text = translated[msgid]
        assert text and text != msgid, msgid
        # The same fields to fill in, so .format() never fails in one language.
        assert sorted(_fields(text)) == sorted(_fields(msgid)), msgid


def _fields(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("ru", "это не каталог выборов"),
        ("ky", "шайлоонун каталогу эмес"),
        ("kk", "сайлау каталогы емес"),
    ],
)
def test_a_user_reads_errors_in_their_language(
    language: str,
    words: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = messages.LOCALE_DIR / language / "LC_MESSAGES" / f"{messages.DOMAIN}.po"
    target = tmp_path / language / "LC_MESSAGES" / f"{messages.DOMAIN}.mo"
    target.parent.mkdir(parents=True)
    with source.open("rb") as po, target.open("wb") as mo:
        write_mo(mo, read_po(po))
    monkeypatch.setattr(messages, "LOCALE_DIR", tmp_path)
    monkeypatch.setenv("LANGUAGE", language)
    assert main(["election", "sign", "--election", str(tmp_path / "none")]) == 2
    assert words in capsys.readouterr().err

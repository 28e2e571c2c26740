"""The commission members' credentials at the terminal: the chair card and PIN, the share cards.

Attacks of issue 11 reproduced: (1) the scrypt verifier of the chair's PIN used to lie in
clear in the public election.json, so a photographed chair card plus 10^6 guesses gave the
PIN; (2) one scan of a foreign chair card between wrong PINs reset the lockout count;
(3) one bad share card scanned first made every good card after it "foreign".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from types import SimpleNamespace

import pytest

from terminal.app import station as station_module
from terminal.app.polls import PollsState
from terminal.hal.interfaces import Scan
from terminal.hal.storage import DataDir
from terminal.trust import chair
from tests.reliability.polling import TERMINAL_ID, Terminal, World, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("chair"), voters=5)


def test_the_public_package_holds_nothing_to_guess_the_pin_against(world: World) -> None:
    card = chair.parse_card(world.chair_card)
    assert card is not None
    verifier = world.package.keys(TERMINAL_ID, world.identity.decryption).chair
    assert chair.check(card, world.chair_pin, verifier)
    for path in world.package_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in (verifier.digest, verifier.salt):
                assert secret not in data and secret.hex().encode() not in data, path
    assert b'"chair"' not in (world.package_dir / "election.json").read_bytes()


def test_the_verifier_opens_only_with_a_registered_terminals_key(world: World) -> None:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from terminal.ballot.package import PackageError

    with pytest.raises(PackageError, match="do not open with this terminal's key"):
        world.package.keys(TERMINAL_ID, X25519PrivateKey.generate())


@pytest.mark.parametrize(
    "data",
    [b"", bytes(59), bytes(61), bytes(48) + (3).to_bytes(4, "big") + bytes(8)],
)
def test_a_malformed_verifier_is_refused(data: bytes) -> None:
    with pytest.raises(chair.VerifierError):
        chair.ChairVerifier.from_bytes(data)


def _station(world: World, root: Path) -> tuple[station_module.Station, Terminal]:
    data = root / "data"
    terminal = Terminal(world, DataDir(data), data, root / "export")
    terminal.start()
    assert terminal.polls is not None and terminal.polls.state is PollsState.READY
    station = station_module.Station(
        terminal.polls,
        SimpleNamespace(width=800, height=480, show=lambda frame: None),  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        station_module.Fonts(),
        "en",
        root / "export",
    )
    return station, terminal


def _wrong_pin(station: station_module.Station, world: World) -> None:
    station.on_scan(Scan(world.chair_card))
    assert station.view is station_module.View.CHAIR_PIN
    wrong = "".join(str((int(d) + 1) % 10) for d in world.chair_pin)
    for digit in wrong:
        station.on_tap(f"digit-{digit}")
    station.on_tap("ok")


def _foreign_card(world: World) -> str:
    card = chair.parse_card(world.chair_card)
    assert card is not None
    return dataclasses.replace(card, precinct="9999").payload()


def test_a_foreign_card_between_wrong_pins_does_not_reset_the_lockout(
    world: World, tmp_path: Path
) -> None:
    station, _ = _station(world, tmp_path)
    for _ in range(station_module.CHAIR_ATTEMPTS - 2):
        _wrong_pin(station, world)
        station.view = station_module.View.READY
    station.on_scan(Scan(_foreign_card(world)))  # used to break the run of failures
    assert station._locked_until() is None
    _wrong_pin(station, world)
    assert station._locked_until() is not None
    station.view = station_module.View.READY
    station.on_scan(Scan(world.chair_card))
    assert station.view is station_module.View.READY  # the PIN is not even asked
    assert any("locked until" in line for line in station.lines)


def test_the_lockout_survives_a_restart_and_ends_after_its_time(
    world: World, tmp_path: Path
) -> None:
    station, _ = _station(world, tmp_path)
    for _ in range(station_module.CHAIR_ATTEMPTS):
        _wrong_pin(station, world)
        station.view = station_module.View.READY
    again, restarted = _station(world, tmp_path)  # power cut: the log is all that remains
    again.on_scan(Scan(world.chair_card))
    assert again.view is station_module.View.READY
    locked = again._locked_until()
    assert locked is not None
    later = locked + dt.timedelta(seconds=1)
    restarted.clock.now = lambda: later  # type: ignore[method-assign]
    again.on_scan(Scan(world.chair_card))
    assert again.view is station_module.View.CHAIR_PIN
    for digit in world.chair_pin:
        again.on_tap(f"digit-{digit}")
    again.on_tap("ok")
    assert [e.kind for e in restarted.polls.log.events][-1] != "chair_auth_failed"


def test_a_foreign_share_card_is_named_and_refused_alone_at_the_terminal(
    world: World, tmp_path: Path
) -> None:
    """The close: a card the package does not list is refused alone, the good ones stay."""
    from host_tools import commission
    from sim import synthetic
    from terminal.trust.shares import ShareProblem

    station, _ = _station(world, tmp_path)
    station._start_shares()
    assert station.collector is not None
    station._share(world.share_cards[1])
    assert station.lines == ("Key-share card 2 of 3 accepted: 1 of 2.",)
    register = synthetic.make_register(
        "7001", 3, world.election.date, __import__("random").Random(1)
    )
    spec = commission.ElectionSpec(
        id=world.election.id,
        names=world.election.names,
        date=world.election.date,
        timezone=world.election.timezone,
        polls_open=world.election.polls_open,
        polls_close=world.election.polls_close,
        mode=world.election.mode,
        country=world.election.country,
        contests=world.election.contests,
    )
    other = commission.build_election(
        spec, [commission.PrecinctSpec("7001", world.election.precincts[0].names, register)], 2, 3
    )
    station._share(other.secrets["7001"].share_cards[0].payload())
    assert station.lines[0].startswith("That key-share card is not one of this precinct's cards")
    assert [e.data for e in station.polls.log.of_kind("share_refused")][-1] == {
        "problem": ShareProblem.NOT_REGISTERED.value
    }
    station._share(world.share_cards[1])
    assert station.lines[0] == "Key-share card 2 of 3:"
    assert len(station.collector.shares) == 1  # the good card is still held

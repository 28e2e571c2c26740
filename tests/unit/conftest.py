"""Shared helpers for the unit tests: storages that record or keep writes in memory, a fixed
clock, keys, and one small signed election package built with the commission's own code."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from host_tools import commission as office
from terminal.ballot import package as pkg
from terminal.ballot.election import Choice, Contest, Mode, Role
from terminal.hal.storage import DataDir, Storage
from terminal.idscan.pin import Sex, make_pin
from terminal.idscan.register import Register, Voter
from terminal.trust import envelope
from terminal.trust.sealed_store import DeviceSealer
from terminal.trust.signing import SigningKey

ELECTION_ID = "kg-2025-unit"
PRECINCT = "P1"
TERMINAL_ID = "T-0001"


class FixedClock:
    """A clock that always says the same time, set by hand."""

    source = "manual"

    def __init__(self, now: dt.datetime | None = None) -> None:
        self._now = now or dt.datetime(2025, 11, 30, 8, 0, tzinfo=dt.UTC)

    def now(self) -> dt.datetime:
        return self._now


class MemoryStorage:
    """Storage kept in memory: fast, for tests that need thousands of fresh stores."""

    def __init__(self) -> None:
        self.files: dict[str, bytearray] = {}

    def exists(self, name: str) -> bool:
        return name in self.files

    def read(self, name: str) -> bytes:
        return bytes(self.files[name])

    def size(self, name: str) -> int:
        return len(self.files.get(name, b""))

    def create(self, name: str, size: int) -> None:
        self.files[name] = bytearray(size)

    def pwrite(self, name: str, offset: int, data: bytes) -> None:
        buf = self.files.setdefault(name, bytearray())
        if len(buf) < offset + len(data):
            buf.extend(bytes(offset + len(data) - len(buf)))
        buf[offset : offset + len(data)] = data

    def append(self, name: str, data: bytes) -> None:
        self.pwrite(name, self.size(name), data)

    def truncate(self, name: str, size: int) -> None:
        del self.files[name][size:]

    def sync(self, name: str) -> None:
        pass

    def replace(self, name: str, data: bytes) -> None:
        self.files[name] = bytearray(data)


class RecordingStorage:
    """Passes every call to another storage and records the writes and syncs, in order."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.calls: list[tuple[str, str, int, int]] = []  # (op, name, offset, length)

    def exists(self, name: str) -> bool:
        return self.inner.exists(name)

    def read(self, name: str) -> bytes:
        return self.inner.read(name)

    def size(self, name: str) -> int:
        return self.inner.size(name)

    def create(self, name: str, size: int) -> None:
        self.calls.append(("create", name, 0, size))
        self.inner.create(name, size)

    def pwrite(self, name: str, offset: int, data: bytes) -> None:
        self.calls.append(("pwrite", name, offset, len(data)))
        self.inner.pwrite(name, offset, data)

    def append(self, name: str, data: bytes) -> None:
        self.calls.append(("append", name, -1, len(data)))
        self.inner.append(name, data)

    def truncate(self, name: str, size: int) -> None:
        self.calls.append(("truncate", name, 0, size))
        self.inner.truncate(name, size)

    def sync(self, name: str) -> None:
        self.calls.append(("sync", name, 0, 0))
        self.inner.sync(name)

    def replace(self, name: str, data: bytes) -> None:
        self.calls.append(("replace", name, 0, len(data)))
        self.inner.replace(name, data)

    def writes(self, op: str = "pwrite") -> list[tuple[str, str, int, int]]:
        return [c for c in self.calls if c[0] == op]


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[DataDir]:
    storage = DataDir(tmp_path / "data")
    yield storage
    storage.close()


@pytest.fixture(scope="session")
def terminal_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="session")
def device() -> DeviceSealer:
    """A board's device key, which the card's secrets are sealed under."""
    return DeviceSealer(os.urandom(32))


@pytest.fixture(scope="session")
def other_key() -> SigningKey:
    return SigningKey.generate()


def x25519_pair() -> tuple[bytes, bytes]:
    """A raw X25519 (private, public) pair, like a precinct's sealing key."""
    private = X25519PrivateKey.generate()
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return raw, envelope.raw_public(private)


@pytest.fixture(scope="session")
def precinct_key() -> tuple[bytes, bytes]:
    return x25519_pair()


def flip(data: bytes, index: int, mask: int = 0x01) -> bytes:
    """`data` with the bits of `mask` flipped in the byte at `index`."""
    out = bytearray(data)
    out[index] ^= mask
    return bytes(out)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """Run with umask 0, so a file's mode is exactly what the code asked for."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


# --- a small signed election package ---------------------------------------------------------


def make_register(code: str, voters: int) -> Register:
    people = []
    for i in range(voters):
        birth = dt.date(1970 + i, 1 + i % 12, 1 + i)
        people.append(
            Voter(
                surname=f"Асанов{i}",
                name="Бакыт",
                patronymic="",
                birth_date=birth,
                number=make_pin(Sex.MALE if i % 2 else Sex.FEMALE, birth, 100 + i),
                document=f"ID{i:07d}",
                document_issued=dt.date(2020, 1, 1),
                address=f"Бишкек, ул. Токтогула {i + 1}",
                precinct=code,
            )
        )
    return Register(code, tuple(people))


def election_spec() -> office.ElectionSpec:
    return office.ElectionSpec(
        id=ELECTION_ID,
        names={"ru": "Местные выборы", "en": "Local elections"},
        date=dt.date(2025, 11, 30),
        timezone="+06:00",
        polls_open=dt.time(8, 0),
        polls_close=dt.time(20, 0),
        mode=Mode.OFFICIAL,
        country="KG",
        contests=(
            Contest(
                "mayor",
                {"ru": "Мэр", "en": "Mayor"},
                (
                    Choice("asanov", {"ru": "Асанов А.", "en": "Asanov A."}),
                    Choice("bekova", {"ru": "Бекова Б.", "en": "Bekova B."}),
                    Choice("against", {"en": "Against all"}, against_all=True),
                ),
            ),
        ),
    )


@dataclass(frozen=True)
class SmallPackage:
    """A package written by the commission's code, with every key needed to read it."""

    directory: Path  # pristine: copy it (copy_to) before altering anything
    created: office.CreatedElection
    commission: SigningKey
    terminal: SigningKey
    terminal_encryption: X25519PrivateKey

    def copy_to(self, target: Path) -> Path:
        shutil.copytree(self.directory, target)
        return target


@pytest.fixture(scope="session")
def small_package(tmp_path_factory: pytest.TempPathFactory) -> SmallPackage:
    root = tmp_path_factory.mktemp("commission")
    terminal = SigningKey.generate()
    encryption = X25519PrivateKey.generate()
    registration = office.TerminalRegistration(
        TERMINAL_ID, PRECINCT, Role.COMBINED, terminal.public, envelope.raw_public(encryption)
    )
    created = office.build_election(
        election_spec(),
        [office.PrecinctSpec(PRECINCT, {"ru": "Участок 1"}, make_register(PRECINCT, 3))],
        2,
        3,
        [registration],
    )
    commission = SigningKey.generate()
    directory = root / office.PACKAGE_DIR
    # The package only (write_commission_outputs would also draw every card as a PNG).
    pkg.write_package(
        directory, created.election, created.register_files, created.terminal_keys, commission
    )
    return SmallPackage(directory, created, commission, terminal, encryption)


# --- hypothesis strategies ---------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
json_objects = st.dictionaries(st.text(max_size=12), json_values, max_size=6)


def fuzz(examples: int) -> settings:
    """Hypothesis settings for the unit tests: a fixed budget, and no timing checks (a loaded
    machine must not fail a test; speed belongs in bench/)."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )

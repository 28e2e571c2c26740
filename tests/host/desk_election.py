"""A small election with a hierarchy (two regions, three districts, five precincts, one
combined terminal each) and honest bundles, for the tests of collect, results and report."""

from __future__ import annotations

import datetime as dt
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from host_tools import commission as office
from sim import synthetic
from terminal.ballot import package as pkg
from terminal.ballot.election import (
    Choice,
    Contest,
    ElectionKind,
    Mode,
    Party,
    Role,
    Territory,
    TerritoryKind,
)
from terminal.trust.signing import SigningKey
from tests.bundle_factory import make_bundle

DAY = dt.date(2026, 4, 9)
CONTEST = Contest(
    "council",
    {"ru": "Городской кенеш", "ky": "Шаардык кеңеш", "en": "City council"},
    (
        Choice(
            "p1",
            {"ru": "Партия «Ала-Тоо»", "ky": "«Ала-Тоо» партиясы"},
            party=Party({"ru": "Ала-Тоо", "ky": "Ала-Тоо"}, 1),
            ballot_number=1,
        ),
        Choice(
            "p2",
            {"ru": "Партия «Нарын»", "ky": "«Нарын» партиясы"},
            party=Party({"ru": "Нарын", "ky": "Нарын"}, 2),
            ballot_number=2,
        ),
        Choice(
            "p3",
            {"ru": "Партия «Чүй»", "ky": "«Чүй» партиясы"},
            party=Party({"ru": "Чүй", "ky": "Чүй"}, 3),
            ballot_number=3,
        ),
    ),
)
TERRITORIES = (
    Territory("R-CHUY", TerritoryKind.REGION, {"ru": "Чуйская область", "ky": "Чүй облусу"}, None),
    Territory("R-OSH", TerritoryKind.REGION, {"ru": "Ошская область", "ky": "Ош облусу"}, None),
    Territory("D-SOKULUK", TerritoryKind.DISTRICT, {"ru": "Сокулукский район"}, "R-CHUY"),
    Territory("D-ALAMEDIN", TerritoryKind.DISTRICT, {"ru": "Аламединский район"}, "R-CHUY"),
    Territory("D-KARASUU", TerritoryKind.DISTRICT, {"ru": "Карасуйский район"}, "R-OSH"),
)
# precinct code -> district
PRECINCTS = {
    "1001": "D-SOKULUK",
    "1002": "D-SOKULUK",
    "1101": "D-ALAMEDIN",
    "2001": "D-KARASUU",
    "2002": "D-KARASUU",
}
VOTERS = 12


def terminal_id(code: str) -> str:
    return f"T-{code}"


@dataclass
class DeskElection:
    root: Path
    package: Path
    commission: SigningKey
    keys: dict[str, SigningKey]  # terminal id -> signing key
    created: office.CreatedElection

    @property
    def pin(self) -> list[str]:
        return ["--commission-key", self.commission.public.fingerprint()]

    def bundle(
        self, code: str, ballots: list[dict[str, list[str]]], name: str = "", **kw: object
    ) -> Path:
        """An honest bundle of precinct `code`'s terminal holding `ballots`."""
        directory = self.root / "media" / (name or f"bundle-{code}")
        if directory.exists():
            shutil.rmtree(directory)
        terminal = terminal_id(code)
        return make_bundle(
            directory,
            self.created.election,
            code,
            terminal,
            self.keys[terminal],
            ballots,
            **kw,  # type: ignore[arg-type]
        )


def ballots(seed: int, count: int) -> list[dict[str, list[str]]]:
    rng = random.Random(seed)
    return [{"council": [rng.choice(["p1", "p2", "p3"])]} for _ in range(count)]


def make_election(root: Path, mode: Mode = Mode.OFFICIAL) -> DeskElection:
    rng = random.Random(7)
    spec = office.ElectionSpec(
        id="KG-20260409-LOCAL",
        names={"ru": "Выборы в местные кенеши", "ky": "Жергиликтүү кеңештерге шайлоо"},
        date=DAY,
        timezone="+06:00",
        polls_open=dt.time(8),
        polls_close=dt.time(20),
        mode=mode,
        country="KG",
        contests=(CONTEST,),
        kind=ElectionKind.LOCAL_COUNCIL,
        territories=TERRITORIES,
    )
    precincts = [
        office.PrecinctSpec(
            code,
            {"ru": f"Участок №{code}", "ky": f"№{code} участок"},
            synthetic.make_register(code, VOTERS, DAY, rng),
            number=code,
            territory=district,
        )
        for code, district in PRECINCTS.items()
    ]
    keys = {terminal_id(code): SigningKey.generate() for code in PRECINCTS}
    registrations = [
        office.TerminalRegistration(
            terminal_id(code),
            code,
            Role.COMBINED,
            keys[terminal_id(code)].public,
            X25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
        )
        for code in PRECINCTS
    ]
    created = office.build_election(spec, precincts, 2, 3, registrations)
    commission = SigningKey.generate()
    package = root / "package"
    pkg.write_package(
        package, created.election, created.register_files, created.terminal_keys, commission
    )
    return DeskElection(root, package, commission, keys, created)

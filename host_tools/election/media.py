"""The files a definition names that travel in the package beside election.json: recorded
audio-ballot lines and party logos.

`election create` reads and checks each one (read_media) and copies it into the election
directory under the name the package gives it, from its hash (write_media); `election keys`
binds them into the election from that directory's index (read_bindings), and `election
sign` puts the files themselves into the package (files_of), where the signed election.json
binds each by its SHA-256. `sim day --definition` reads them as create does.

The election directory's layout:
    recordings/recording-<hash>.wav, recordings/recordings.json
    logos/logo-<hash>.png, logos/logos.json   {"logos": [{"party": <number>, "file", "sha256"}]}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from terminal.app.audio_clips import AudioError, check_wav
from terminal.ballot import package as pkg
from terminal.ballot.election import (
    Choice,
    Contest,
    Election,
    Logo,
    Recording,
    recordings_from_json,
    recordings_to_json,
)
from terminal.ballot.logo import LOGO_CAP, LogoError, check_logo
from terminal.jsonfmt import FormatError, canonical_json, load_object
from terminal.trust.files import UnsafeFileError, read_file, write_public_file

if TYPE_CHECKING:
    from host_tools.election.definition import Definition

RECORDINGS_DIR = "recordings"
RECORDINGS_FILE = "recordings/recordings.json"
LOGOS_DIR = "logos"
LOGOS_FILE = "logos/logos.json"


Checker = Callable[[bytes, str], object]  # check_wav, check_logo: raise on a bad file


class MediaError(Exception):
    """A file the definition names cannot go into the package; the message says where."""


@dataclass(frozen=True)
class Media:
    """Recorded lines and party logos (by party number) as the package binds them, with the
    files' bytes by package file name where they have been read."""

    recordings: tuple[Recording, ...] = ()
    logos: tuple[tuple[int, Logo], ...] = ()
    files: Mapping[str, bytes] = field(default_factory=dict)

    def with_logos(self, contests: tuple[Contest, ...]) -> tuple[Contest, ...]:
        """The contests with each party's logo bound in."""
        by_number = dict(self.logos)

        def bound(choice: Choice) -> Choice:
            party = choice.party
            if party is None or party.number not in by_number:
                return choice
            return dataclasses.replace(
                choice, party=dataclasses.replace(party, logo=by_number[party.number])
            )

        return tuple(
            dataclasses.replace(c, choices=tuple(bound(ch) for ch in c.choices)) for c in contests
        )


NO_MEDIA = Media()


def read_media(definition: Definition) -> Media:
    """Each recording and logo the definition names, checked (a WAV of a sensible length, a
    PNG the terminal can draw) under the package's name for it; nothing is written.

    The commission's own files may be reached through links it made (a folder of logos
    linked in): the path is resolved first, and what it reaches must still be a regular
    file under the size cap, in the format checked."""
    recordings: list[Recording] = []
    logos: list[tuple[int, Logo]] = []
    files: dict[str, bytes] = {}

    def read(path: Path, where: tuple[str | int, ...], cap: int, check: Checker) -> bytes:
        try:
            data = read_file(path.resolve(), cap)
            check(data, str(path))
        except (OSError, UnsafeFileError, AudioError, LogoError) as exc:
            raise MediaError(definition.place(where, str(exc))) from exc
        return data

    for r in definition.recordings:
        data = read(r.path, r.field, pkg.RECORDING_CAP, check_wav)
        sha256 = pkg.sha256_hex(data)
        recording = Recording(r.language, r.text, f"recording-{sha256[:16]}.wav", sha256)
        recordings.append(recording)
        files[recording.file] = data
    for party in definition.logos:
        data = read(party.path, party.field, LOGO_CAP, check_logo)
        logo = Logo.named(pkg.sha256_hex(data))
        logos.append((party.number, logo))
        files[logo.file] = data
    return Media(tuple(recordings), tuple(logos), files)


def write_media(directory: Path, media: Media) -> None:
    """The media's files and their index in the election directory."""
    for name, data in media.files.items():
        write_public_file(directory / _folder(name) / name, data)
    listed = recordings_to_json(media.recordings)
    write_public_file(directory / RECORDINGS_FILE, canonical_json({"recordings": listed}))
    logos = [
        {"party": number, "file": logo.file, "sha256": logo.sha256} for number, logo in media.logos
    ]
    write_public_file(directory / LOGOS_FILE, canonical_json({"logos": logos}))


def read_bindings(directory: Path) -> Media:
    """The recordings and logos `election create` copied, without their bytes (none in a
    directory made before them)."""
    recordings: tuple[Recording, ...] = ()
    logos: list[tuple[int, Logo]] = []
    try:
        path = directory / RECORDINGS_FILE
        if path.is_file():
            recordings = recordings_from_json(path.read_bytes(), str(path))
        path = directory / LOGOS_FILE
        if path.is_file():
            for entry in load_object(path.read_bytes(), str(path)).objects("logos"):
                logo = Logo.named(entry.hex("sha256", 32).hex())
                if entry.str("file") != logo.file:
                    raise FormatError(
                        f"{entry.where}: file {entry.str('file')!r} is not named by its hash"
                    )
                logos.append((entry.int("party", 1), logo))
    except FormatError as exc:
        raise MediaError(str(exc)) from exc
    return Media(recordings, tuple(logos))


def files_of(directory: Path, election: Election) -> dict[str, bytes]:
    """The bytes of every recording and logo the election binds, from the election
    directory (write_package checks each against its hash)."""
    names = [r.file for r in election.recordings] + [logo.file for logo in election.logos()]
    try:
        return {name: (directory / _folder(name) / name).read_bytes() for name in names}
    except OSError as exc:
        raise MediaError(f"{exc.filename}: {exc.strerror}") from exc


def _folder(name: str) -> str:
    """The election directory's folder of a package media file, by its kind."""
    return RECORDINGS_DIR if name.endswith(".wav") else LOGOS_DIR

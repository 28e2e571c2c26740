"""Fixtures of the reliability tests: one commission office and terminal per session, and
scratch directories on tmpfs (the day's package copy and export are real files; thousands
of restarts would otherwise wait on the disk's fsync)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from terminal.ballot.election import Role
from tests.reliability.polling import World, build_world

SHM = Path("/dev/shm")
WORLD_VOTERS = 12


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory.mktemp("reliability"), WORLD_VOTERS)


@pytest.fixture(scope="session")
def booth(tmp_path_factory: pytest.TempPathFactory) -> World:
    """A voting booth (role vote): its voters bring coupons, it keeps the used codes."""
    return build_world(tmp_path_factory.mktemp("booth"), WORLD_VOTERS, role=Role.VOTE)


@pytest.fixture(scope="module")
def module_scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A scratch directory shared by the tests of one module, on tmpfs when there is one."""
    if SHM.is_dir():
        path = Path(tempfile.mkdtemp(prefix="tamga-", dir=SHM))
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)
    else:
        yield tmp_path_factory.mktemp("scratch")


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    """A scratch directory, on tmpfs when there is one."""
    if SHM.is_dir():
        path = Path(tempfile.mkdtemp(prefix="tamga-", dir=SHM))
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)
    else:
        yield tmp_path

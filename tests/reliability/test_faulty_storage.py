"""The simulated card itself: what each crash model and fault leaves behind."""

from __future__ import annotations

import errno

import pytest

from sim.faulty_storage import PAGE, Fault, FaultyStorage, Garble, PowerCut
from terminal.hal.storage import Storage, StorageError


def card(cut_after: int | None = None, faults: tuple[Fault, ...] = ()) -> FaultyStorage:
    storage = FaultyStorage(cut_after=cut_after, faults=faults)
    as_storage: Storage = storage  # mypy checks here that it implements the Protocol
    assert as_storage is storage
    return storage


def test_operations_are_numbered_and_the_power_goes_after_the_kth() -> None:
    storage = card(cut_after=3)
    storage.append("log", b"one\n")
    storage.sync("log")
    storage.create("box", 8)
    with pytest.raises(PowerCut):
        storage.append("log", b"two\n")
    assert [(op.number, op.kind, op.name) for op in storage.operations] == [
        (1, "write", "log"),
        (2, "sync", "log"),
        (3, "create", "box"),
    ]
    with pytest.raises(PowerCut):  # the code is dead: nothing more happens
        storage.read("log")
    assert issubclass(PowerCut, BaseException) and not issubclass(PowerCut, Exception)


def test_torn_images_keep_synced_bytes_and_a_prefix_of_the_unsynced_ones() -> None:
    storage = card()
    storage.append("log", b"synced\n")
    storage.sync("log")
    storage.append("log", b"abc\n")
    storage.append("log", b"de\n")
    images = {image.files["log"] for image in storage.torn_images(lambda op: range(len(op.data)))}
    expected = {b"synced\n" + b"abc\nde\n"[:n] for n in range(8)}
    assert images == expected
    assert storage.durable() == {"log": b"synced\n"}


def test_replace_is_old_or_new_and_create_is_durable() -> None:
    storage = card()
    storage.replace("cp", b"old")
    storage.create("box", 4)
    storage.pwrite("box", 1, b"x")
    storage.replace("cp", b"new content")
    images = [image.files for image in storage.torn_images(lambda op: range(len(op.data)))]
    assert {files["cp"] for files in images} == {b"new content"}
    assert {files["box"] for files in images} == {b"\0\0\0\0", b"\0x\0\0"}


def test_a_garbled_page_takes_the_synced_bytes_in_it_and_only_its_page() -> None:
    storage = card()
    storage.append("log", b"a" * (PAGE + 100))
    storage.sync("log")
    storage.append("log", b"b" * 50)
    for fill in Garble:
        (image,) = storage.garbled_images([fill])
        data = image.files["log"]
        assert len(data) == PAGE + 150
        assert data[:PAGE] == b"a" * PAGE  # the pages before are untouched
        assert data[PAGE:] != b"a" * 100 + b"b" * 50  # synced bytes of that page are gone
        if fill is Garble.ZEROS:
            assert data[PAGE:] == bytes(150)


def test_a_write_over_two_pages_garbles_each_in_turn() -> None:
    storage = card()
    storage.create("f", 2 * PAGE)
    storage.pwrite("f", PAGE - 10, b"x" * 20)
    labels = [image.label for image in storage.garbled_images([Garble.ONES])]
    assert labels == ["f: op 2 garbled page 0 (ones)", "f: op 2 garbled page 1 (ones)"]
    second = list(storage.garbled_images([Garble.ONES]))[1].files["f"]
    assert second[PAGE - 10 : PAGE] == b"x" * 10 and second[PAGE:] == b"\xff" * PAGE


def test_faults_raise_storage_errors() -> None:
    storage = card(faults=(Fault(2, errno.EIO), Fault(3, errno.ENOSPC, written=2)))
    storage.append("log", b"abcd")
    with pytest.raises(StorageError) as caught:
        storage.sync("log")
    assert caught.value.errno == errno.EIO
    assert storage.pending()["log"]  # a failed sync made nothing durable
    with pytest.raises(StorageError) as caught:
        storage.append("log", b"efgh")
    assert caught.value.errno == errno.ENOSPC
    assert storage.files_now() == {"log": b"abcdef"}  # a short write


def test_a_full_card_fails_every_write_but_not_reads_or_syncs() -> None:
    storage = card(faults=(Fault(2, errno.ENOSPC, lasting=True),))
    storage.append("log", b"a")
    with pytest.raises(StorageError):
        storage.append("log", b"b")
    storage.sync("log")
    with pytest.raises(StorageError):
        storage.replace("cp", b"c")
    assert storage.read("log") == b"a"

"""The filesystem image store: streaming writes, hashing, space and size limits."""

import errno
import hashlib
import io
import os
from pathlib import Path

import pytest

from cirrus import exception
from cirrus.image.store import FilesystemStore


class _Reader:
    """A body that records how much each read asks for."""

    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)
        self.asked: list[int] = []

    def read(self, n: int) -> bytes:
        self.asked.append(n)
        return self._stream.read(n)


@pytest.fixture
def store(tmp_path):
    return FilesystemStore(tmp_path / "images")


def _leftovers(store):
    return sorted(p.name for p in store.root.iterdir())


def test_write_streams_in_chunks_and_hashes(store):
    data = bytes(range(256)) * 8192 * 4  # 8 MiB
    reader = _Reader(data)
    stored = store.write("img", reader.read, len(data))
    assert stored.size == len(data)
    assert stored.checksum == hashlib.md5(data).hexdigest()
    assert stored.hash_algo == "sha256"
    assert stored.hash_value == hashlib.sha256(data).hexdigest()
    assert store.path("img").read_bytes() == data
    # bounded reads: the body is never read whole
    assert max(reader.asked) <= 1 << 20
    assert len(reader.asked) > 7
    assert _leftovers(store) == ["img"]


def test_write_without_declared_size(store):
    stored = store.write("img", _Reader(b"abc").read, None)
    assert (stored.size, stored.checksum) == (3, hashlib.md5(b"abc").hexdigest())


def test_empty_data(store):
    stored = store.write("img", _Reader(b"").read, 0)
    assert stored.size == 0
    assert stored.checksum == hashlib.md5(b"").hexdigest()


def test_declared_size_beyond_free_space_is_refused_before_reading(tmp_path):
    store = FilesystemStore(tmp_path, reserve=1 << 62)
    reader = _Reader(b"x" * 10)
    with pytest.raises(exception.ImageStorageFull) as caught:
        store.write("img", reader.read, 10)
    assert caught.value.code == 413
    assert reader.asked == []


def test_undeclared_size_beyond_free_space_stops_and_cleans_up(store, monkeypatch):
    monkeypatch.setattr(FilesystemStore, "free_bytes", lambda self: 100_000)
    with pytest.raises(exception.ImageStorageFull):
        store.write("img", _Reader(b"x" * 200_000).read, None)
    assert _leftovers(store) == []


def test_size_cap(tmp_path):
    store = FilesystemStore(tmp_path, size_cap=1000)
    with pytest.raises(exception.ImageSizeLimitExceeded):
        store.write("img", _Reader(b"x" * 2000).read, 2000)
    with pytest.raises(exception.ImageSizeLimitExceeded):
        store.write("img", _Reader(b"x" * 70000).read, None)
    assert not store.path("img").exists()


def test_short_body_is_invalid_and_leaves_nothing(store):
    with pytest.raises(exception.Invalid):
        store.write("img", _Reader(b"x" * 5).read, 10)
    assert _leftovers(store) == []


def test_disk_full_while_writing_maps_to_storage_full(store):
    def read(_n):
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(exception.ImageStorageFull):
        store.write("img", read, None)
    assert _leftovers(store) == []


def test_other_io_errors_propagate(store):
    def read(_n):
        raise OSError(errno.EIO, "I/O error")

    with pytest.raises(OSError, match="I/O error"):
        store.write("img", read, None)


def test_failed_rewrite_keeps_previous_bytes(store):
    store.write("img", _Reader(b"old").read, 3)
    with pytest.raises(exception.Invalid):
        store.write("img", _Reader(b"ne").read, 3)
    assert store.path("img").read_bytes() == b"old"


def test_open_and_delete(store):
    assert store.open("img") is None
    store.write("img", _Reader(b"abc").read, 3)
    with store.open("img") as data:
        assert data.read() == b"abc"
    store.delete("img")
    store.delete("img")
    assert store.open("img") is None


def test_chunks_are_large_and_close_the_file(store):
    assert store.chunks("img") is None
    data = bytes(range(256)) * 4096 * 3 + b"tail"  # 3 MiB and 4 bytes
    store.write("img", _Reader(data).read, len(data))
    chunks = list(store.chunks("img"))
    assert b"".join(chunks) == data
    assert [len(c) for c in chunks] == [1 << 20] * 3 + [4]
    # A reader that stops early (a client gone) closes the file with the iterator. The
    # image is longer than the read-ahead holds, so the file is still open after one.
    big = bytes(range(256)) * 4096 * 12
    store.write("big", _Reader(big).read, len(big))
    partial = store.chunks("big")
    next(partial)
    assert _open_fds_to(store.path("big")) == 1
    partial.close()
    assert _open_fds_to(store.path("big")) == 0


def _open_fds_to(path):
    fds = Path(f"/proc/{os.getpid()}/fd")
    return sum(1 for fd in fds.iterdir() if os.path.realpath(fd) == str(path))


@pytest.mark.parametrize("algo", ["sha512", "blake2b"])
def test_hashing_algorithm_is_configurable(tmp_path, algo):
    store = FilesystemStore(tmp_path, hash_algo=algo)
    stored = store.write("img", _Reader(b"abc").read, 3)
    assert (stored.hash_algo, stored.hash_value) == (algo, hashlib.new(algo, b"abc").hexdigest())


@pytest.mark.parametrize("algo", ["crc32", "shake_128", ""])
def test_unknown_hashing_algorithm_is_refused(tmp_path, algo):
    with pytest.raises(ValueError, match="unsupported hashing algorithm"):
        FilesystemStore(tmp_path, hash_algo=algo)

import hashlib
import os
import threading

import pytest

from cirrus.image.streams import BackgroundHash, WriteBehind, read_ahead


def test_digest_is_that_of_the_bytes_in_order() -> None:
    chunks = [os.urandom(n) for n in (1, 70_000, 1 << 20, 3, 500_000, 1 << 20, 12)]
    for algo in ("md5", "sha512", "sha256"):
        with BackgroundHash(algo) as h:
            for chunk in chunks:
                h.update(chunk)
        assert h.hexdigest() == hashlib.new(algo, b"".join(chunks)).hexdigest()


def test_digest_without_close_waits_for_the_queue() -> None:
    h = BackgroundHash("sha512")
    data = os.urandom(1 << 20)
    for _ in range(10):
        h.update(data)
    assert h.hexdigest() == hashlib.sha512(data * 10).hexdigest()
    h.close()
    h.close()


def test_a_failed_update_is_raised_to_the_caller() -> None:
    h = BackgroundHash("md5")
    h.update("not bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        h.hexdigest()
    h.close()


def test_read_ahead_yields_everything_in_order() -> None:
    chunks = [os.urandom(n) for n in range(1, 40)]
    assert list(read_ahead(iter(chunks), depth=2)) == chunks
    assert list(read_ahead([])) == []


def test_read_ahead_raises_the_producers_error_where_it_happened() -> None:
    def broken():
        yield b"a"
        yield b"b"
        raise OSError(5, "disk read failed")

    got = []
    with pytest.raises(OSError, match="disk read failed"):
        for chunk in read_ahead(broken()):
            got.append(chunk)
    assert got == [b"a", b"b"]


def test_closing_early_stops_and_closes_the_producer() -> None:
    produced, closed = [], threading.Event()

    def endless():
        try:
            n = 0
            while True:
                produced.append(n)
                yield bytes([n % 256])
                n += 1
        finally:
            closed.set()

    stream = read_ahead(endless(), depth=2)
    assert next(stream) == b"\x00"
    stream.close()
    assert closed.is_set()
    count = len(produced)
    assert count <= 5
    assert not [t for t in threading.enumerate() if t.name == "read-ahead"]


def test_write_behind_flushes_while_writing(tmp_path, monkeypatch) -> None:
    flushed = []
    real = os.fdatasync
    monkeypatch.setattr(os, "fdatasync", lambda fd: (flushed.append(fd), real(fd)))
    with (tmp_path / "f").open("wb") as f:
        behind = WriteBehind(f.fileno(), every=1 << 20)
        for _ in range(8):
            f.write(bytes(256 << 10))
            f.flush()
            behind.wrote(256 << 10)
        behind.close()
        behind.close()
    # 2 MiB in steps of 1 MiB: a flush at 1 MiB, and one at 2 MiB unless the first
    # was still running.
    assert 1 <= len(flushed) <= 2
    assert not [t for t in threading.enumerate() if t.name.startswith("write-behind")]


def test_write_behind_raises_a_failed_flush(tmp_path, monkeypatch) -> None:
    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fdatasync", full)
    with (tmp_path / "f").open("wb") as f:
        behind = WriteBehind(f.fileno(), every=10)
        behind.wrote(20)
        with pytest.raises(OSError, match="No space left"):
            behind.close()

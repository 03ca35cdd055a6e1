"""Disk files for the local driver: sparse copies, sparse writes and streamed reads."""

import errno
import io
import os
import tarfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from cirrus.image.streams import BackgroundHash, WriteBehind

CHUNK = 1 << 20
_ZEROS = bytes(CHUNK)

OnBlock = Callable[[int], None]
"""Told the length of every block a copy, stream or write has passed on."""


class Tally:
    """Bytes done out of a step's total, reported to a ``(done, total)`` callback.

    Args:
        total: the bytes the step will carry, as far as is known before it starts.
        report: the callback; None counts without telling anyone.
    """

    def __init__(self, total: int, report: Callable[[int, int], None] | None) -> None:
        self.total = total
        self.done = 0
        self._report = report

    def start(self) -> None:
        """Report the step's start (nothing done yet)."""
        if self._report is not None:
            self._report(0, self.total)

    def add(self, count: int) -> None:
        """Count ``count`` more bytes done and report them."""
        self.done += count
        # A total that was only an estimate grows to what really moved.
        self.total = max(self.total, self.done)
        if self._report is not None:
            self._report(self.done, self.total)

    def counted(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """``chunks`` passed through, each counted once the consumer has taken it."""
        self.start()
        for chunk in chunks:
            yield chunk
            self.add(len(chunk))


def allocated_bytes(path: Path) -> int:
    """Bytes the file really occupies on disk (its holes cost nothing)."""
    return path.stat().st_blocks * 512


def data_bytes(path: Path) -> int:
    """Bytes of ``path`` inside its data extents: what a sparse copy reads."""
    with path.open("rb") as f:
        fd = f.fileno()
        return sum(end - start for start, end in data_extents(fd, os.fstat(fd).st_size))


def stream_bytes(path: Path, *, trim: bool = False) -> int:
    """Bytes ``read_stream`` yields for ``path``: its size, or with ``trim`` up to the
    end of its last data extent."""
    with path.open("rb") as f:
        fd = f.fileno()
        size = os.fstat(fd).st_size
        if not trim:
            return size
        return max((end for _, end in data_extents(fd, size)), default=0)


def data_extents(fd: int, size: int) -> Iterator[tuple[int, int]]:
    """The ``(start, end)`` ranges of ``fd`` that hold data, as the filesystem knows them.

    Falls back to one range covering the whole file when the filesystem cannot tell
    holes apart; callers then skip zero blocks themselves.
    """
    pos = 0
    while pos < size:
        try:
            start = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError as exc:
            if exc.errno == errno.ENXIO:
                return
            if pos == 0 and exc.errno in (errno.EINVAL, errno.EOPNOTSUPP):
                yield 0, size
                return
            raise
        end = os.lseek(fd, start, os.SEEK_HOLE)
        yield start, min(end, size)
        pos = end


def copy_sparse(src: Path, dst: Path, on_block: OnBlock | None = None) -> int:
    """Copy ``src`` to ``dst`` writing only its data; returns the bytes written.

    Zero blocks inside data extents are skipped too, so a disk that was written with
    zeros stays sparse on the destination. ``on_block`` is told every block read, so
    its sum is ``data_bytes(src)``.
    """
    written = 0
    with src.open("rb") as fin, dst.open("wb") as fout:
        size = os.fstat(fin.fileno()).st_size
        for start, end in data_extents(fin.fileno(), size):
            pos = start
            while pos < end:
                block = os.pread(fin.fileno(), min(CHUNK, end - pos), pos)
                if not block:
                    break
                if block != _ZEROS[: len(block)]:
                    _pwrite_all(fout.fileno(), block, pos)
                    written += len(block)
                pos += len(block)
                if on_block is not None:
                    on_block(len(block))
        # The length is set last: trailing holes are not written.
        fout.truncate(size)
        os.fsync(fout.fileno())
    return written


def read_stream(path: Path, chunk: int = CHUNK, *, trim: bool = False) -> Iterator[bytes]:
    """The file's bytes in chunks of at most ``chunk``; holes come out as zeros.

    Holes are produced from one shared zero buffer, not read, so a mostly empty disk
    streams at the speed of its data. With ``trim`` the hole at the end is left out:
    whoever receives the bytes grows the disk back to its flavor's size.
    """
    with path.open("rb") as f:
        fd = f.fileno()
        size = os.fstat(fd).st_size
        pos = 0
        for start, end in data_extents(fd, size):
            yield from _zeros(start - pos, chunk)
            pos = start
            while pos < end:
                block = os.pread(fd, min(chunk, end - pos), pos)
                if not block:
                    break
                pos += len(block)
                yield block
        if not trim:
            yield from _zeros(size - pos, chunk)


def _zeros(count: int, chunk: int) -> Iterator[bytes]:
    zeros = _ZEROS[:chunk] if chunk <= CHUNK else bytes(chunk)
    while count > 0:
        n = min(count, chunk)
        yield zeros[:n]
        count -= n


def grow(path: Path, size: int) -> None:
    """Make ``path`` at least ``size`` bytes long (new space is a hole)."""
    if size > path.stat().st_size:
        os.truncate(path, size)


def create_sparse(path: Path, size: int) -> None:
    """A new file of ``size`` bytes that occupies no space yet."""
    with path.open("wb") as f:
        f.truncate(size)


class SparseWriter:
    """A write-only file that seeks over zero blocks and hashes what passes through.

    Args:
        path: the file to create.
        hash_algo: the algorithm to check the bytes with (the image service's
            ``os_hash_algo``, or ``md5`` for its legacy ``checksum``).
        on_block: told the length of every write once it is on disk.
    """

    def __init__(self, path: Path, hash_algo: str = "sha256",
                 on_block: OnBlock | None = None) -> None:
        self._on_block = on_block
        self._f = path.open("wb")
        self.hash = BackgroundHash(hash_algo)
        self._behind = WriteBehind(self._f.fileno())
        self.size = 0

    def write(self, data: bytes) -> int:
        """Hash ``data`` and write it, or leave a hole where it is all zeros."""
        self.hash.update(data)
        view = memoryview(data)
        for off in range(0, len(data), CHUNK):
            block = view[off:off + CHUNK]
            if block != _ZEROS[: len(block)]:
                _pwrite_all(self._f.fileno(), block, self.size + off)
                self._behind.wrote(len(block))
        self.size += len(data)
        if self._on_block is not None:
            self._on_block(len(data))
        return len(data)

    def close(self) -> None:
        """Set the final length (trailing zeros stay a hole) and flush to disk."""
        try:
            self._behind.close()
            self._f.truncate(self.size)
            os.fsync(self._f.fileno())
            self._f.close()
        finally:
            self.hash.close()


def _pwrite_all(fd: int, block: bytes | memoryview, offset: int) -> None:
    # A regular file may take less than asked (a disk filling up); write the rest.
    data = memoryview(block)
    while data:
        written = os.pwrite(fd, data, offset)
        data, offset = data[written:], offset + written


def is_qcow2(path: Path) -> bool:
    """Whether the file starts with the qcow2 magic."""
    with path.open("rb") as f:
        return f.read(4) == b"QFI\xfb"


def write_config_drive(path: Path, files: Iterable[tuple[str, bytes]]) -> None:
    """Write a config drive's files into one tar file at ``path`` (replacing it).

    NOTE: a tar, not an ISO 9660 image: the standard library writes and reads it (no
    genisoimage on the hosts), it keeps the drive's paths and bytes exactly, and being
    one file it travels and is counted with the guest's disks. Entries are in the
    drive's order with fixed owner and times, so the same drive gives the same bytes.
    """
    tmp = path.with_name(f"{path.name}.tmp")
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    # Renamed into place so a guest never finds half a drive.
    tmp.replace(path)


def read_config_drive(path: Path) -> dict[str, bytes]:
    """The files of a drive ``write_config_drive`` wrote, path -> bytes."""
    out: dict[str, bytes] = {}
    with tarfile.open(path, "r") as tar:
        for member in tar.getmembers():
            extracted = tar.extractfile(member)
            if extracted is not None:
                out[member.name] = extracted.read()
    return out

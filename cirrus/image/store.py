"""The filesystem image store: image bytes streamed to files, hashed on the way in."""

import dataclasses
import errno
import hashlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from cirrus import exception
from cirrus.image.streams import BackgroundHash, WriteBehind, read_ahead

# sha256 rather than Glance's sha512: CPUs with SHA extensions (current x86 and ARM)
# hash it two to three times as fast, and clients check with the algorithm the image
# names. ``[glance] hashing_algorithm`` chooses another.
HASH_ALGO = "sha256"
DEFAULT_SIZE_CAP = 1 << 40  # Glance's default image_size_cap: 1 TiB
# The size clients and the in-process transport send: one read a chunk, no re-slicing.
_CHUNK = 1 << 20
_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)

Reader = Callable[[int], bytes]


@dataclasses.dataclass(frozen=True)
class StoredData:
    """What the store learnt while writing an image's bytes."""

    size: int
    checksum: str
    """MD5 hex digest, Glance's legacy ``checksum``."""
    hash_algo: str
    hash_value: str
    """Hex digest with ``hash_algo`` (Glance's ``os_hash_value``)."""


class FilesystemStore:
    """Image bytes as one file per image under ``root``.

    Args:
        root: directory of the files; created when missing.
        size_cap: largest image accepted, in bytes.
        reserve: bytes of free space the store never uses, so a full store cannot starve
            the rest of the host.
        hash_algo: the hashlib algorithm of ``os_hash_value``.

    Raises:
        ValueError: ``hash_algo`` is not an algorithm every Python has.
    """

    def __init__(self, root: Path, *, size_cap: int = DEFAULT_SIZE_CAP, reserve: int = 0,
                 hash_algo: str = HASH_ALGO) -> None:
        if hash_algo not in hashlib.algorithms_guaranteed or hash_algo.startswith("shake"):
            raise ValueError(f"unsupported hashing algorithm {hash_algo!r}")
        self.root = root
        self.size_cap = size_cap
        self.reserve = reserve
        self.hash_algo = hash_algo
        root.mkdir(parents=True, exist_ok=True)

    def path(self, image_id: str) -> Path:
        """Where the bytes of ``image_id`` live."""
        return self.root / image_id

    def free_bytes(self) -> int:
        """Bytes an upload may still use."""
        return max(0, shutil.disk_usage(self.root).free - self.reserve)

    def write(self, image_id: str, read: Reader, expected_size: int | None) -> StoredData:
        """Stream ``read`` into the file of ``image_id``, hashing as it goes.

        The bytes go to a temporary file first and replace the image's file only when
        complete, so a failed upload never leaves partial data under the image's name.

        Args:
            image_id: the image the bytes belong to.
            read: returns up to n bytes per call, and b"" at the end.
            expected_size: the declared length of the data, when known.

        Raises:
            ImageSizeLimitExceeded: the data is larger than ``size_cap``.
            ImageStorageFull: the store has no room for the data.
            Invalid: the data ended before ``expected_size`` bytes.
        """
        budget = self._check_room(expected_size)
        tmp = self.root / f".{image_id}.{uuid.uuid4().hex}.partial"
        md5, digest = BackgroundHash("md5"), BackgroundHash(self.hash_algo)
        size = 0
        try:
            with md5, digest, tmp.open("xb") as out:
                behind = WriteBehind(out.fileno())
                try:
                    while chunk := read(_CHUNK):
                        size += len(chunk)
                        if size > budget:
                            raise self._too_big(size, budget)
                        md5.update(chunk)
                        digest.update(chunk)
                        out.write(chunk)
                        behind.wrote(len(chunk))
                    out.flush()
                finally:
                    behind.close()
                os.fsync(out.fileno())
            if expected_size is not None and size != expected_size:
                raise exception.Invalid(
                    f"Image data ended after {size} of {expected_size} bytes."
                )
            tmp.replace(self.path(image_id))
        except OSError as exc:
            if exc.errno in _FULL_ERRNOS:
                raise exception.ImageStorageFull(reason=os.strerror(exc.errno)) from exc
            raise
        finally:
            tmp.unlink(missing_ok=True)
        return StoredData(size, md5.hexdigest(), self.hash_algo, digest.hexdigest())

    def _check_room(self, expected_size: int | None) -> int:
        free = self.free_bytes()
        if expected_size is not None:
            if expected_size > self.size_cap:
                raise exception.ImageSizeLimitExceeded(size=expected_size, limit=self.size_cap)
            if expected_size > free:
                raise exception.ImageStorageFull(
                    reason=f"{expected_size} bytes requested, {free} available"
                )
        return min(self.size_cap, free)

    def _too_big(self, size: int, budget: int) -> exception.CirrusException:
        if size > self.size_cap:
            return exception.ImageSizeLimitExceeded(size=size, limit=self.size_cap)
        return exception.ImageStorageFull(reason=f"the data exceeds the {budget} bytes free")

    def open(self, image_id: str) -> BinaryIO | None:
        """The bytes of ``image_id`` for reading, or None when it has none."""
        try:
            return self.path(image_id).open("rb")
        except FileNotFoundError:
            return None

    def chunks(self, image_id: str) -> Iterator[bytes] | None:
        """The bytes of ``image_id`` in large chunks, or None when it has none.

        A WSGI app handed the open file would read it in its own small blocks (8 KiB in
        Falcon), a Python round for every few pages of a disk image. The file is closed
        when the iterator ends or is closed (a client that went away).
        """
        f = self.open(image_id)
        return None if f is None else read_ahead(_read_chunks(f))

    def delete(self, image_id: str) -> None:
        """Remove the bytes of ``image_id``; nothing happens when there are none."""
        self.path(image_id).unlink(missing_ok=True)


def _read_chunks(f: BinaryIO) -> Iterator[bytes]:
    with f:
        while chunk := f.read(_CHUNK):
            yield chunk

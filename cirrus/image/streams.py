"""A disk image's bytes read, hashed and written on several cores at once.

A disk image is read from one file, hashed where it is read, where it is stored and
where it lands, and written to another file. Done in line, every pass runs after the
other on the thread that moves the bytes. File reads, writes and hashlib's hashing of a
large buffer all release the GIL, so a reader or a hash on a worker thread runs on
another core while the caller does the rest. In separate processes the socket between
them gives the same overlap; in one process these helpers do.
"""

import collections
import concurrent.futures
import contextlib
import hashlib
import os
import queue
import threading
from collections.abc import Generator, Iterable
from typing import Any

# Updates queued ahead of the worker; bounds the memory held to a few chunks.
_AHEAD = 4


class BackgroundHash:
    """A hashlib object fed on a worker thread, in the order of ``update`` calls.

    Args:
        algo: a hashlib algorithm name (``md5`` is created as not for security).
    """

    def __init__(self, algo: str) -> None:
        self.name = algo
        self._hash: Any = (hashlib.md5(usedforsecurity=False) if algo == "md5"
                           else hashlib.new(algo))
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._pending: collections.deque[concurrent.futures.Future[None]] = (
            collections.deque())

    def update(self, data: bytes | memoryview) -> None:
        """Queue ``data`` (which must not change afterwards) for hashing."""
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix=f"hash-{self.name}")
        while len(self._pending) >= _AHEAD:
            self._pending.popleft().result()
        self._pending.append(self._pool.submit(self._hash.update, data))

    def hexdigest(self) -> str:
        """The digest of everything queued so far (waits for the worker)."""
        self._drain()
        return str(self._hash.hexdigest())

    def close(self) -> None:
        """Wait for the queued updates and stop the worker; safe to call twice."""
        self._drain()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _drain(self) -> None:
        try:
            while self._pending:
                self._pending.popleft().result()
        except BaseException:
            self._pending.clear()
            raise

    def __enter__(self) -> "BackgroundHash":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_END = object()


def read_ahead(chunks: Iterable[bytes], depth: int = _AHEAD) -> Generator[bytes, None, None]:
    """``chunks``, produced on a worker thread up to ``depth`` chunks ahead of the caller.

    An error of the producer is raised to the caller at the point it happened; closing
    the returned iterator early (a caller that gave up) stops the producer.
    """
    pending: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def _produce() -> None:
        try:
            for chunk in chunks:
                if stop.is_set():
                    return
                pending.put(chunk)
            pending.put(_END)
        except BaseException as exc:  # handed to the consumer, raised there
            pending.put(exc)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=_produce, name="read-ahead", daemon=True)
    worker.start()
    try:
        while (item := pending.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            # Unblock a producer waiting for room, then let it see ``stop``.
            with contextlib.suppress(queue.Empty):
                pending.get_nowait()
            worker.join(timeout=0.01)


class WriteBehind:
    """Has the disk write out a file while more of it is still being produced.

    Without it, a file written at memory speed reaches the disk only at its final
    fsync, which then waits for all of it while nothing else happens. Every ``every``
    bytes, a worker thread starts an ``fdatasync`` of what was written so far, so the
    disk works while the caller hashes and writes the next chunks; the caller's final
    fsync is left with the tail.

    Args:
        fd: the file descriptor being written.
        every: bytes written between two flushes (one runs at a time).
    """

    def __init__(self, fd: int, every: int = 64 << 20) -> None:
        self._fd = fd
        self._every = every
        self._unflushed = 0
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._flush: concurrent.futures.Future[None] | None = None

    def wrote(self, count: int) -> None:
        """``count`` more bytes were written to the file."""
        self._unflushed += count
        if self._unflushed < self._every:
            return
        if self._flush is not None:
            if not self._flush.done():
                return
            self._flush.result()  # a failed flush (a full disk) is raised here
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="write-behind")
        self._unflushed = 0
        self._flush = self._pool.submit(os.fdatasync, self._fd)

    def close(self) -> None:
        """Wait for the flush under way and raise its error; safe to call twice."""
        try:
            if self._flush is not None:
                self._flush.result()
        finally:
            self._flush = None
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None

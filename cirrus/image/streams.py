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

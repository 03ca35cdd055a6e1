"""Image checksums computed beside the I/O that moves the bytes.

A disk image is hashed where it is read, where it is stored and where it lands. Done in
line, each hash adds a full pass over the data to the thread that moves it. hashlib
releases the GIL while it hashes a large buffer, so feeding a hash from its own worker
thread lets it run on another core while the caller reads, writes or computes a second
hash of the same bytes.
"""

import collections
import concurrent.futures
import hashlib
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

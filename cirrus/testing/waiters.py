"""Polling helpers: wait for a condition instead of sleeping."""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Timeout(AssertionError):  # noqa: N818  (reads as "waiting hit a timeout")
    """The condition never held."""


def wait_for(fn: Callable[[], T | None], timeout: float = 30.0, interval: float = 0.02,
             what: str = "condition") -> T:
    """Call ``fn`` until it returns something truthy; raise Timeout after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise Timeout(f"{what} not reached within {timeout}s (last value: {last!r})")

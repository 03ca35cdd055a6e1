"""refresh_usage shares recounts between callers, but never one that began before a
caller asked (its change might not be counted), and a failed one covers nobody."""

import threading
import types

import pytest

from cirrus.compute.resource_tracker import ResourceTracker
from cirrus.testing.waiters import wait_for


class _Counting:
    """Stands in for the usage recount of one node: records each run, and can hold the
    first run until released or make it fail."""

    def __init__(self, fail_first: bool = False) -> None:
        self.runs = 0
        self.started = threading.Event()
        self.release = threading.Event()
        self._fail_first = fail_first

    def __call__(self, node: object) -> None:
        self.runs += 1
        if self.runs == 1:
            self.started.set()
            assert self.release.wait(5)
            if self._fail_first:
                raise RuntimeError("recount failed")


def _tracker(recount: _Counting) -> ResourceTracker:
    tracker = ResourceTracker(types.SimpleNamespace(), types.SimpleNamespace(), "h1",
                              types.SimpleNamespace())
    tracker.nodes = {"h1": types.SimpleNamespace()}
    tracker._update_usage = recount  # type: ignore[method-assign]
    return tracker


def _waiting(tracker: ResourceTracker, count: int) -> None:
    wait_for(lambda: tracker._asked == count, 5, what=f"{count} callers asking")


def test_callers_during_a_recount_share_the_next_one():
    recount = _Counting()
    tracker = _tracker(recount)
    first = threading.Thread(target=tracker.refresh_usage)
    first.start()
    assert recount.started.wait(5)
    later = [threading.Thread(target=tracker.refresh_usage) for _ in range(3)]
    for thread in later:
        thread.start()
    _waiting(tracker, 4)
    # The recount under way began before they asked: none of them may return on it.
    assert all(t.is_alive() for t in later)
    recount.release.set()
    for thread in [first, *later]:
        thread.join(5)
        assert not thread.is_alive()
    assert recount.runs == 2
    tracker.refresh_usage()  # alone: a recount of its own
    assert recount.runs == 3


def test_a_failed_recount_covers_nobody():
    recount = _Counting(fail_first=True)
    tracker = _tracker(recount)
    failed: list[BaseException] = []

    def first() -> None:
        try:
            tracker.refresh_usage()
        except RuntimeError as exc:
            failed.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    assert recount.started.wait(5)
    waiter = threading.Thread(target=tracker.refresh_usage)
    waiter.start()
    _waiting(tracker, 2)
    recount.release.set()
    thread.join(5)
    waiter.join(5)
    assert len(failed) == 1 and not waiter.is_alive()
    assert recount.runs == 2  # the waiter ran its own


def test_the_error_reaches_its_caller():
    recount = _Counting(fail_first=True)
    recount.release.set()
    with pytest.raises(RuntimeError, match="recount failed"):
        _tracker(recount).refresh_usage()

"""An in-process kombu transport whose consumers block instead of polling.

kombu's memory transport has no blocking receive, and oslo.messaging sets its polling
interval to zero for ``memory://`` URLs, so every listening thread spins: an idle
all-in-one burnt more than a core, which every request then paid for in the GIL. This
transport keeps the memory transport's queues and semantics and adds a wake-up:
a put wakes the consumers waiting on that queue, which otherwise sleep until their timeout.

Select it with ``kombu+inproc:///<vhost>``; like ``kombu+memory://`` its state is shared by
the whole process, so cells are kept apart by topic prefixes (cirrus.rpc.transport).
"""

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from queue import Empty
from typing import Any

import kombu.transport
from kombu.transport import memory


class _Waiter:
    """One consumer waiting for any of its queues to get a message."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.generation = 0

    def wake(self) -> None:
        with self.cond:
            self.generation += 1
            self.cond.notify_all()


# Queue name -> the consumers waiting on it. Waking only those (rather than every
# listener of the process) keeps a message from costing a wake-up per service thread.
_WAITERS: dict[str, set[_Waiter]] = {}
_REGISTRY = threading.Lock()


def _wake(queues: Iterable[str]) -> None:
    with _REGISTRY:
        waiters = {w for q in queues for w in _WAITERS.get(q, ())}
    for waiter in waiters:
        waiter.wake()


# NOTE: oslo.messaging's listeners restart their drain timeout at a millisecond after every
# message and double it on each timeout, only to look at their stop flag and their queue
# of acks in between; each such wake-up runs the whole consume stack (about seven a
# message, most of the listeners' CPU). Here a wait with nothing delivered lasts at least
# a second, as oslo.messaging's own poll cap of a second allows, unless a stop is under
# way (``hurry``). A message still ends a wait at once.
_MIN_WAIT = 1.0
_HURRIED = 0.005
_FOREVER = float("inf")
_HURRY = [0]


def _wake_all() -> None:
    with _REGISTRY:
        waiters = {w for ws in _WAITERS.values() for w in ws}
    for waiter in waiters:
        waiter.wake()


@contextmanager
def hurry() -> Iterator[None]:
    """While stopping servers or transports: every wait of this process ends within a few
    milliseconds, so listeners see their stop flags at once."""
    done = threading.Event()

    def nudge() -> None:
        while not done.wait(_HURRIED):
            _wake_all()

    with _REGISTRY:
        _HURRY[0] += 1
    thread = threading.Thread(target=nudge, name="inproc-hurry", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        with _REGISTRY:
            _HURRY[0] -= 1


def _register(waiter: _Waiter, queues: Iterable[str], add: bool) -> None:
    with _REGISTRY:
        for queue in queues:
            if add:
                _WAITERS.setdefault(queue, set()).add(waiter)
            else:
                _WAITERS.get(queue, set()).discard(waiter)


class Channel(memory.Channel):  # type: ignore[misc]
    """The memory channel, announcing every message it queues to that queue's consumers."""

    def _put(self, queue: str, message: Any, **kwargs: Any) -> None:
        super()._put(queue, message, **kwargs)  # type: ignore[no-untyped-call]
        _wake((queue,))

    def _put_fanout(self, exchange: str, message: Any, routing_key: str | None = None,
                    **kwargs: Any) -> None:
        queues = list(self._lookup(exchange, routing_key))  # type: ignore[no-untyped-call]
        super()._put_fanout(  # type: ignore[no-untyped-call]
            exchange, message, routing_key, **kwargs)
        _wake(queues)


class Transport(memory.Transport):  # type: ignore[misc]
    """The memory transport with a blocking ``drain_events``.

    oslo.messaging's listeners drain with timeouts that restart at a millisecond after
    every message and double up to seconds, so most calls time out: each connection keeps
    one waiter registered, a call polls the queues only when something was put on them
    since a poll last found them all empty, and a wait lasts ``_MIN_WAIT`` unless a
    message comes or a stop hurries it.
    """

    Channel = Channel
    driver_type = "inproc"
    driver_name = "inproc"

    def __init__(self, client: Any, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)  # type: ignore[no-untyped-call]
        self._waiter = _Waiter()
        self._listening: frozenset[str] = frozenset()
        # The waiter's generation when a poll of every queue found them all empty.
        self._empty_at: int | None = None

    def _listen(self) -> None:
        queues = frozenset(q for channel in self.channels for q in channel._active_queues)
        if queues != self._listening:
            _register(self._waiter, self._listening - queues, add=False)
            _register(self._waiter, queues - self._listening, add=True)
            self._listening = queues
            # A queue just listened to may hold messages put before.
            self._empty_at = None

    def close_connection(self, connection: Any) -> None:
        """Close as the memory transport does, and stop listening for wake-ups."""
        _register(self._waiter, self._listening, add=False)
        self._listening = frozenset()
        super().close_connection(connection)  # type: ignore[no-untyped-call]

    def drain_events(  # type: ignore[override]
        self, connection: Any, timeout: float | None = None
    ) -> None:
        """Deliver one message, waiting (not spinning) up to ``timeout`` seconds, or at
        least ``_MIN_WAIT`` when no stop is under way."""
        started = time.monotonic()
        deadline = None if timeout is None else started + timeout
        patient = None if timeout is None else started + max(timeout, _MIN_WAIT)
        assert self.cycle is not None
        get = self.cycle.get
        waiter = self._waiter
        self._listen()
        while True:
            with waiter.cond:
                seen = waiter.generation
            if seen != self._empty_at:
                try:
                    get(self._deliver, timeout=timeout)  # type: ignore[no-untyped-call]
                except Empty:
                    self._empty_at = seen
                else:
                    self._empty_at = None
                    return
            # While stopping, no wait outlasts a nudge, so the caller checks its flags.
            end = min(deadline or _FOREVER, started + _HURRIED) if _HURRY[0] else patient
            remaining = None if end is None else end - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise TimeoutError
            with waiter.cond:
                if waiter.generation == seen:
                    waiter.cond.wait(timeout=remaining if remaining is not None else 1.0)


def register() -> None:
    """Make ``inproc://`` (and so ``kombu+inproc://``) known to kombu."""
    kombu.transport.TRANSPORT_ALIASES.setdefault("inproc", f"{__name__}:Transport")

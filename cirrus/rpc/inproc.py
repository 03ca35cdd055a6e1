"""An in-process kombu transport whose consumers block instead of polling.

kombu's memory transport has no blocking receive, and oslo.messaging sets its polling
interval to zero for ``memory://`` URLs, so every listening thread spins: an idle
all-in-one burnt more than a core, which every request then paid for in the GIL. This
transport keeps the memory transport's queues and semantics and adds one condition
variable: a put wakes the waiting consumers, which otherwise sleep until their timeout.

Select it with ``kombu+inproc:///<vhost>``; like ``kombu+memory://`` its state is shared by
the whole process, so cells are kept apart by topic prefixes (cirrus.rpc.transport).
"""

import threading
import time
from queue import Empty
from typing import Any

import kombu.transport
from kombu.transport import memory

_CHANGED = threading.Condition()
_GENERATION = [0]


def _notify() -> None:
    with _CHANGED:
        _GENERATION[0] += 1
        _CHANGED.notify_all()


class Channel(memory.Channel):  # type: ignore[misc]
    """The memory channel, announcing every message it queues."""

    def _put(self, queue: str, message: Any, **kwargs: Any) -> None:
        super()._put(queue, message, **kwargs)  # type: ignore[no-untyped-call]
        _notify()

    def _put_fanout(self, exchange: str, message: Any, routing_key: str | None = None,
                    **kwargs: Any) -> None:
        super()._put_fanout(  # type: ignore[no-untyped-call]
            exchange, message, routing_key, **kwargs)
        _notify()


class Transport(memory.Transport):  # type: ignore[misc]
    """The memory transport with a blocking ``drain_events``."""

    Channel = Channel
    driver_type = "inproc"
    driver_name = "inproc"

    def drain_events(  # type: ignore[override]
        self, connection: Any, timeout: float | None = None
    ) -> None:
        """Deliver one message, waiting (not spinning) up to ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        assert self.cycle is not None
        get = self.cycle.get
        while True:
            with _CHANGED:
                seen = _GENERATION[0]
            try:
                get(self._deliver, timeout=timeout)  # type: ignore[no-untyped-call]
                return
            except Empty:
                pass
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise TimeoutError
            with _CHANGED:
                if _GENERATION[0] == seen:
                    _CHANGED.wait(timeout=remaining if remaining is not None else 1.0)


def register() -> None:
    """Make ``inproc://`` (and so ``kombu+inproc://``) known to kombu."""
    kombu.transport.TRANSPORT_ALIASES.setdefault("inproc", f"{__name__}:Transport")

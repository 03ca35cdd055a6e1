"""Schedule concurrent requests together.

Each request costs Placement one allocation-candidates query and one allocation write, and
Placement does that work one request at a time. Requests that arrive while a batch is
being scheduled wait for the next batch; a batch shares one candidates query per resource
shape and writes every claim of the batch in a single ``POST /allocations``.
"""

import dataclasses
import logging
import queue
import threading
from collections.abc import Callable
from concurrent import futures
from typing import Any

from cirrus.context import RequestContext
from cirrus.objects.request_spec import RequestSpec

LOG = logging.getLogger(__name__)


@dataclasses.dataclass
class Pending:
    """One select_destinations call waiting for its batch."""

    ctxt: RequestContext
    request: RequestSpec
    instance_uuids: list[str]
    max_alternates: int
    future: futures.Future[list[list[dict[str, Any]]]] = dataclasses.field(
        default_factory=futures.Future)


class Batcher:
    """A single worker that drains waiting requests into batches.

    Args:
        schedule: schedules one batch and resolves every Pending's future.
        max_batch: the most requests scheduled together.
    """

    def __init__(self, schedule: Callable[[list[Pending]], None], max_batch: int = 32) -> None:
        self._schedule = schedule
        self._max = max_batch
        self._queue: queue.Queue[Pending | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="scheduler-batch", daemon=True)
        self._thread.start()

    def submit(self, pending: Pending) -> list[list[dict[str, Any]]]:
        """Wait for the batch that schedules ``pending``; its errors are raised here."""
        self._queue.put(pending)
        return pending.future.result()

    def _drain(self, first: Pending) -> list[Pending]:
        batch = [first]
        while len(batch) < self._max:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self._queue.put(None)
                break
            batch.append(item)
        return batch

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = self._drain(first)
            try:
                self._schedule(batch)
            except Exception as exc:
                LOG.exception("Scheduling a batch of %d requests failed", len(batch))
                for pending in batch:
                    if not pending.future.done():
                        pending.future.set_exception(exc)

    def stop(self) -> None:
        """End the worker after the current batch."""
        self._queue.put(None)
        self._thread.join(timeout=10)

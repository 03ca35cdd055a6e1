"""Progress of the disk bytes a move carries, written into its migration record.

Drivers report ``(bytes done, bytes in the step)`` as they copy, upload or download a
server's disks (``ProgressCallback``). ``DiskProgress`` turns those calls into a few short
writes of the migration's ``disk_*`` columns: each step starts its figures afresh, so
they always describe the step named in ``disk_step``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from cirrus.objects import migration as migration_obj

if TYPE_CHECKING:
    from cirrus.objects.cell_mapping import CellMapping
    from cirrus.runtime import Runtime

LOG = logging.getLogger(__name__)

COPY = "copy"
"""A same-cell move: the source copies the disks into the destination's directory."""
UPLOAD = "upload"
"""A cross-cell move: the source streams the root disk into the snapshot image."""
DOWNLOAD = "download"
"""A cross-cell move: the destination downloads the snapshot into its root disk."""

Writer = Callable[[dict[str, Any]], None]


class DiskProgress:
    """A ``ProgressCallback`` that records one step's figures, throttled.

    The first report of the step, the report that reaches its total and any report
    ``interval`` seconds or more after the last write are written; the others are held,
    and leaving the ``with`` block writes the last one held, so the record ends with the
    step's final figures even when the driver's last report fell between two writes.

    Args:
        write: stores the migration columns it is given (a short transaction).
        step: the name of the step (COPY, UPLOAD or DOWNLOAD).
        interval: the shortest time between two writes, in seconds.
        clock: monotonic seconds (replaceable in tests).
    """

    def __init__(self, write: Writer, step: str, interval: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._write = write
        self.step = step
        self._interval = interval
        self._clock = clock
        self._started: float | None = None
        self._written_at = 0.0
        self._held: tuple[int, int] | None = None

    def __call__(self, done: int, total: int) -> None:
        """Record that ``done`` of the step's ``total`` bytes have moved."""
        now = self._clock()
        first = self._started is None
        if first:
            self._started = now
        if first or done >= total or now - self._written_at >= self._interval:
            self._emit(done, total, now)
        else:
            self._held = (done, total)

    def __enter__(self) -> DiskProgress:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        # Also after a failure: the record then shows how far the step got.
        if self._held is not None:
            self._emit(*self._held, self._clock())

    def _emit(self, done: int, total: int, now: float) -> None:
        self._held = None
        self._written_at = now
        elapsed = now - (self._started if self._started is not None else now)
        fields = {"disk_step": self.step, "disk_total": total, "disk_processed": done,
                  "disk_remaining": max(total - done, 0),
                  "disk_rate": round(done / elapsed) if elapsed > 0 else 0}
        try:
            self._write(fields)
        except Exception:
            # The figures are for people watching; a failed write must not fail the move.
            LOG.warning("Could not record the %s progress of a move", self.step,
                        exc_info=True)


def for_migration(runtime: Runtime, cell: CellMapping, migration_id: int,
                  step: str) -> DiskProgress:
    """A reporter for ``step`` of the migration ``migration_id`` in ``cell``'s database.

    Each write is a transaction of its own on the migration's progress columns; the
    status is not touched (only ``migration.transition`` writes it).
    """
    def write(fields: dict[str, Any]) -> None:
        with runtime.cell_session(cell) as s:
            migration_obj.update(s, migration_id, **fields)

    return DiskProgress(write, step, float(runtime.conf.migration_progress_interval))

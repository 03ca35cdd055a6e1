"""The superconductor's cross-cell operations: resize, confirm and revert, journaled.

Each operation opens a move journal entry (API DB), builds its steps (conductor/tasks),
wraps each in ``Journaled`` and runs them in a TaskChain. The same step lists serve the
recovery of an operation whose superconductor died (cirrus.conductor.recovery).
"""

from __future__ import annotations

import logging
import threading
import uuid as uuidlib
from collections.abc import Callable
from typing import Any

from cirrus import exception
from cirrus.compute.rpcapi import ComputeAPI
from cirrus.conductor.tasks import cross_cell as cc
from cirrus.conductor.tasks import cross_cell_ops as ops
from cirrus.conductor.tasks.base import Task, TaskChain
from cirrus.conductor.tasks.migrate import MoveRequest
from cirrus.context import RequestContext
from cirrus.notifications.notifier import Notifier
from cirrus.objects import host_mapping as hm_obj
from cirrus.objects import move_journal as journal_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.move_journal import Operation, State
from cirrus.runtime import Runtime
from cirrus.scheduler.rpcapi import SchedulerAPI

LOG = logging.getLogger(__name__)


def resize_steps(move: cc.CrossCellMove) -> list[Task[Any]]:
    """The cross-cell resize, in order (also what recovery unwinds)."""
    flavor = FlavorSpec.from_dict(move.data["flavor"])
    return [cc.TargetDBSetup(move), cc.PrepResizeAtDest(move, flavor, move.data.get("node")),
            cc.PrepResizeAtSource(move, flavor), cc.FinishResizeAtDest(move),
            cc.SwitchMapping(move)]


class CrossCellMover:
    """Runs cross-cell operations for one superconductor."""

    def __init__(self, runtime: Runtime, compute: ComputeAPI, notifier: Notifier,
                 host: str, scheduler: SchedulerAPI | None = None) -> None:
        self._runtime = runtime
        self._scheduler = scheduler
        self._compute = compute
        self._notifier = notifier
        self._host = host
        # Journal entries this process opened and has not closed: a recovery running
        # beside them (at start-up, while the first casts arrive) must leave them alone.
        self._running: set[int] = set()
        self._running_lock = threading.Lock()
        # Test fault injection only: called with each step's name before it starts.
        self.before_step: Callable[[str], None] | None = None

    @property
    def runtime(self) -> Runtime:
        """The process's shared resources."""
        return self._runtime

    @property
    def host(self) -> str:
        """The superconductor's host name (the owner recorded in the journal)."""
        return self._host

    @property
    def notifier(self) -> Notifier:
        """The superconductor's notifier."""
        return self._notifier

    def cell(self, cell_uuid: str) -> CellMapping:
        """A cell by uuid."""
        for cell in self._runtime.cells():
            if cell.uuid == cell_uuid:
                return cell
        raise LookupError(f"no cell {cell_uuid}")

    def open(self, ctxt: RequestContext, operation: Operation, source: CellMapping,
             target: CellMapping, instance_uuid: str, migration_uuid: str,
             data: dict[str, Any]) -> cc.CrossCellMove:
        """Journal a new operation and return the context its steps share."""
        with self._running_lock, self._runtime.api_session() as s:
            entry = journal_obj.begin(
                s, migration_uuid=migration_uuid, instance_uuid=instance_uuid,
                operation=operation, source_cell_uuid=source.uuid,
                target_cell_uuid=target.uuid, request_id=ctxt.request_id,
                user_id=ctxt.user_id, project_id=ctxt.project_id, owner=self._host,
                data=data)
            self._running.add(entry.id)
        return self.context(ctxt, entry)

    def left_unfinished(self) -> list[journal_obj.Entry]:
        """Unfinished entries of this host that no operation of this process runs: what
        a previous run of the host left, oldest first."""
        with self._running_lock:
            with self._runtime.api_reader() as s:
                entries = journal_obj.unfinished(s)
            return [e for e in entries if e.owner == self._host and e.id not in self._running]

    def context(self, ctxt: RequestContext, entry: journal_obj.Entry) -> cc.CrossCellMove:
        """The shared context of a journaled operation (a new or a recovered one)."""
        return cc.CrossCellMove(
            runtime=self._runtime, ctxt=ctxt, compute=self._compute,
            source_cell=self.cell(entry.source_cell_uuid),
            target_cell=self.cell(entry.target_cell_uuid),
            instance_uuid=entry.instance_uuid, migration_uuid=entry.migration_uuid,
            journal_id=entry.id, conductor_host=self._host, data=dict(entry.data),
            steps=[{"name": st.name, "status": st.status} for st in entry.steps])

    def run(self, move: cc.CrossCellMove, steps: list[Task[Any]]) -> None:
        """Run journaled steps; the journal ends ``done`` or ``rolled-back``."""
        hook = self.before_step
        chain = TaskChain([cc.Journaled(move, step) for step in steps],
                          before_step=None if hook is None else lambda t: hook(t.name))
        try:
            chain.run()
        except Exception:
            self.close(move, State.ROLLED_BACK)
            raise
        self._close_done(move)

    def _close_done(self, move: cc.CrossCellMove) -> None:
        """Record a finished operation; failing to must not undo it.

        Raising here would make the caller roll back what already succeeded (the server
        may live in the target cell by now). The UPDATE is tried twice (a database
        restart drops the connection it ran on); if it still fails the entry stays
        open, and the next superconductor start settles it from the journal.
        """
        for attempt in (1, 2):
            try:
                self.close(move, State.DONE)
                return
            except Exception:
                LOG.warning("Could not record the end of the operation on %s (attempt %d)",
                            move.instance_uuid, attempt, exc_info=True)
        LOG.error("The journal entry %d of %s stays open; the next start settles it",
                  move.journal_id, move.instance_uuid)

    def close(self, move: cc.CrossCellMove, state: State) -> None:
        """End the journal entry of an operation."""
        with self._runtime.api_session() as s:
            journal_obj.finish(s, move.journal_id, state, steps=move.steps)
        with self._running_lock:
            self._running.discard(move.journal_id)

    # -- the three operations ----------------------------------------------------------

    def resize(self, req: MoveRequest) -> list[dict[str, Any]] | None:
        """Move ``req``'s server to the chosen host of another cell (up to VERIFY_RESIZE).

        When the destination refuses its claim, the alternates of its cell are tried,
        then the scheduler is asked again without the cells that failed (Nova gives up at
        once). Returns None when the server reached VERIFY_RESIZE, or the selections to
        use for a move inside the server's own cell when that is where the retry landed.

        Raises:
            MigrationPreCheckError: the last destination tried refused (or the move was
                targeted, or ``[scheduler] max_attempts`` was reached).
            Exception: any later step failed (everything taken was given back).
        """
        candidates = list(req.selections)
        failed_cells: set[str] = set()
        for attempt in range(1, max(1, int(self._runtime.conf.scheduler.max_attempts)) + 1):
            chosen = candidates[0]
            try:
                self._attempt(req, chosen)
                return None
            except exception.MigrationPreCheckError as exc:
                if req.target_host or attempt >= int(self._runtime.conf.scheduler.max_attempts):
                    raise
                LOG.warning("Destination %s refused %s (%s); trying another host",
                            chosen["service_host"], req.instance.uuid, exc)
                failed_cells.add(chosen["cell_uuid"])
                last = exc
            candidates = (self._claim_alternate(req, candidates[1:])
                          or self._reschedule(req, failed_cells))
            if not candidates:
                raise last
            if candidates[0]["cell_uuid"] == req.cell.uuid:
                return candidates
        raise exception.MaxRetriesExceeded(reason=f"no host accepted {req.instance.uuid}")

    def _attempt(self, req: MoveRequest, chosen: dict[str, Any]) -> None:
        assert req.migration is not None
        target = self.cell(chosen["cell_uuid"])
        data: dict[str, Any] = {"dest_host": chosen["service_host"],
                                "node": chosen["nodename"], "source_host": req.instance.host,
                                "flavor": req.flavor.to_dict()}
        if req.instance.image_ref:
            # The snapshot's id is journaled with the entry, before the image exists, so
            # no crash can leak it (I3) and no step writes the journal again for it.
            data["snapshot_id"] = str(uuidlib.uuid4())
        move = self.open(req.ctxt, Operation.RESIZE, req.cell, target, req.instance.uuid,
                         req.migration.uuid, data)
        try:
            self.run(move, resize_steps(move))
        finally:
            # Whatever happened, the temporary snapshot does not outlive the move (I3).
            try:
                cc.delete_snapshot(move)
            except Exception:
                LOG.exception("Could not delete the snapshot of %s", move.instance_uuid)

    def _claim_alternate(self, req: MoveRequest,
                         alternates: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Claim the first alternate that still fits; it and those after it, or []."""
        inst = req.instance
        for index, alt in enumerate(alternates):
            allocations = {rp: v["resources"]
                           for rp, v in alt["allocation_request"]["allocations"].items()}
            if self._runtime.placement.put_allocations(
                    inst.uuid, allocations, inst.project_id or "", inst.user_id or ""):
                return alternates[index:]
            LOG.info("Alternate %s for %s is full", alt["service_host"], inst.uuid)
        return []

    def _reschedule(self, req: MoveRequest, failed_cells: set[str]) -> list[dict[str, Any]]:
        """Ask the scheduler again, with every host of the failed cells ignored."""
        if self._scheduler is None:
            return []
        inst = req.instance
        # The refused claim goes; the source share stays on the migration consumer.
        self._runtime.placement.delete_allocations(inst.uuid)
        with self._runtime.api_reader() as s:
            by_cell = hm_obj.all_hosts(s)
        failed_ids = {self.cell(c).id for c in failed_cells}
        ignore = {*req.spec.ignore_hosts, *(h for h, c in by_cell.items() if c in failed_ids)}
        spec = req.spec.replace(ignore_hosts=tuple(sorted(ignore)))
        try:
            return list(self._scheduler.select_destinations(req.ctxt, spec, [inst.uuid])[0])
        except exception.NoValidHost:
            return []

    def confirm(self, ctxt: RequestContext, instance_uuid: str, migration_uuid: str,
                target_cell_uuid: str, source_cell_uuid: str, source_host: str) -> None:
        """Confirm a cross-cell resize: clean the source host and drop the source copy."""
        move = self.open(ctxt, Operation.CONFIRM, self.cell(source_cell_uuid),
                         self.cell(target_cell_uuid), instance_uuid, migration_uuid,
                         {"source_host": source_host})
        ops.run_confirm(self, move, self._notifier)

    def revert(self, ctxt: RequestContext, instance_uuid: str, migration_uuid: str,
               target_cell_uuid: str, source_cell_uuid: str, source_host: str,
               dest_host: str) -> None:
        """Revert a cross-cell resize: the server goes back to its source cell and host."""
        move = self.open(ctxt, Operation.REVERT, self.cell(source_cell_uuid),
                         self.cell(target_cell_uuid), instance_uuid, migration_uuid,
                         {"source_host": source_host, "dest_host": dest_host})
        ops.run_revert(self, move, self._notifier)

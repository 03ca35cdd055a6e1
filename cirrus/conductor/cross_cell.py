"""The superconductor's cross-cell operations: resize, confirm and revert, journaled.

Each operation opens a move journal entry (API DB), builds its steps (conductor/tasks),
wraps each in ``Journaled`` and runs them in a TaskChain. The same step lists serve the
recovery of an operation whose superconductor died (cirrus.conductor.recovery).
"""

from __future__ import annotations

import logging
from typing import Any

from cirrus.compute.rpcapi import ComputeAPI
from cirrus.conductor.tasks import cross_cell as cc
from cirrus.conductor.tasks import cross_cell_ops as ops
from cirrus.conductor.tasks.base import Task, TaskChain
from cirrus.conductor.tasks.migrate import MoveRequest
from cirrus.context import RequestContext
from cirrus.notifications.notifier import Notifier
from cirrus.objects import move_journal as journal_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.move_journal import Operation, State
from cirrus.runtime import Runtime

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
                 host: str) -> None:
        self._runtime = runtime
        self._compute = compute
        self._notifier = notifier
        self._host = host

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
        with self._runtime.api_session() as s:
            entry = journal_obj.begin(
                s, migration_uuid=migration_uuid, instance_uuid=instance_uuid,
                operation=operation, source_cell_uuid=source.uuid,
                target_cell_uuid=target.uuid, request_id=ctxt.request_id,
                user_id=ctxt.user_id, project_id=ctxt.project_id, owner=self._host,
                data=data)
        return self.context(ctxt, entry)

    def context(self, ctxt: RequestContext, entry: journal_obj.Entry) -> cc.CrossCellMove:
        """The shared context of a journaled operation (a new or a recovered one)."""
        return cc.CrossCellMove(
            runtime=self._runtime, ctxt=ctxt, compute=self._compute,
            source_cell=self.cell(entry.source_cell_uuid),
            target_cell=self.cell(entry.target_cell_uuid),
            instance_uuid=entry.instance_uuid, migration_uuid=entry.migration_uuid,
            journal_id=entry.id, conductor_host=self._host, data=dict(entry.data))

    def run(self, move: cc.CrossCellMove, steps: list[Task[Any]]) -> None:
        """Run journaled steps; the journal ends ``done`` or ``rolled-back``."""
        chain = TaskChain([cc.Journaled(move, step) for step in steps])
        try:
            chain.run()
        except Exception:
            self.close(move, State.ROLLED_BACK)
            raise
        self.close(move, State.DONE)

    def close(self, move: cc.CrossCellMove, state: State) -> None:
        """End the journal entry of an operation."""
        with self._runtime.api_session() as s:
            journal_obj.finish(s, move.journal_id, state)

    # -- the three operations ----------------------------------------------------------

    def resize(self, req: MoveRequest) -> None:
        """Move ``req``'s server to the other cell's chosen host (up to VERIFY_RESIZE)."""
        assert req.migration is not None
        chosen = req.selections[0]
        target = self.cell(chosen["cell_uuid"])
        move = self.open(req.ctxt, Operation.RESIZE, req.cell, target, req.instance.uuid,
                         req.migration.uuid, {
                             "dest_host": chosen["service_host"],
                             "node": chosen["nodename"],
                             "source_host": req.instance.host,
                             "flavor": req.flavor.to_dict()})
        try:
            self.run(move, resize_steps(move))
        finally:
            # Whatever happened, the temporary snapshot does not outlive the move (I3).
            try:
                cc.delete_snapshot(move)
            except Exception:
                LOG.exception("Could not delete the snapshot of %s", move.instance_uuid)

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

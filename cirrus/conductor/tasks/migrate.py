"""The superconductor's part of a resize or cold migration within a cell.

Four steps, each undone on failure (newest first):

1. ``PreallocateMigration``: the migration record, reused when one is already
   ``pre-migrating`` for the server (so reschedules keep one record);
2. ``MoveSourceAllocations``: the server's allocations move to the migration consumer
   before scheduling, so the source share is kept whatever happens next;
3. ``SelectDestination``: the scheduler picks and claims a host for the server consumer;
4. ``CastPrepResize``: the destination compute takes over; from there the computes cast
   to each other (cirrus.compute.move). When the chosen host is in another cell (allowed
   only when the API said so), the superconductor runs the cross-cell steps instead
   (cirrus.conductor.cross_cell), synchronously, inside this step.

A failure leaves the server where it was with its allocations, the migration in ``error``
and the instance action event ``cold_migrate`` saying why.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from cirrus import exception
from cirrus.compute.rpcapi import ComputeAPI
from cirrus.conductor.tasks.base import Task
from cirrus.context import RequestContext
from cirrus.objects import host_mapping as hm_obj
from cirrus.objects import instance as instance_obj
from cirrus.objects import migration as migration_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.instance import Instance
from cirrus.objects.migration import Migration
from cirrus.objects.request_spec import RequestSpec
from cirrus.objects.states import MigrationStatus
from cirrus.runtime import Runtime
from cirrus.scheduler.rpcapi import SchedulerAPI

LOG = logging.getLogger(__name__)


@dataclasses.dataclass
class MoveRequest:
    """What the steps of one move share; steps fill in what they produce."""

    runtime: Runtime
    ctxt: RequestContext
    cell: CellMapping
    instance: Instance
    flavor: FlavorSpec
    spec: RequestSpec
    target_host: str | None
    migration: Migration | None = None
    selections: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    @property
    def migration_type(self) -> str:
        """``resize`` when the flavor changes, ``migration`` when it does not."""
        current = self.instance.flavor
        return "migration" if current is not None and current.id == self.flavor.id else "resize"


class PreallocateMigration(Task[Migration]):
    """Create (or reuse) the migration record in the server's cell."""

    def __init__(self, req: MoveRequest) -> None:
        self._req = req

    def execute(self) -> Migration:
        """Returns the migration, also stored on the request."""
        req = self._req
        inst = req.instance
        with req.runtime.cell_session(req.cell) as s:
            existing = migration_obj.get_all(
                s, instance_uuid=inst.uuid, status=MigrationStatus.PRE_MIGRATING,
                migration_type=req.migration_type)
            mig = existing[0] if existing else migration_obj.create(
                s, instance_uuid=inst.uuid, source_compute=inst.host, source_node=inst.node,
                old_instance_type_id=inst.flavor.id if inst.flavor else None,
                new_instance_type_id=req.flavor.id, migration_type=req.migration_type,
                user_id=req.ctxt.user_id, project_id=req.ctxt.project_id)
        req.migration = mig
        return mig

    def rollback(self, result: Migration | None, error: BaseException) -> None:
        """The migration ends in ``error``."""
        mig = self._req.migration
        if mig is None:
            return
        with self._req.runtime.cell_session(self._req.cell) as s:
            try:
                migration_obj.transition(s, mig.id, MigrationStatus.ERROR)
            except exception.CirrusException as exc:
                LOG.info("Migration %s left as it is: %s", mig.uuid, exc)


class MoveSourceAllocations(Task[bool]):
    """Hand the server's source allocations to the migration consumer."""

    def __init__(self, req: MoveRequest) -> None:
        self._req = req

    def execute(self) -> bool:
        """Returns whether anything was moved."""
        req = self._req
        assert req.migration is not None
        inst = req.instance
        moved = req.runtime.placement.move_allocations(
            inst.uuid, req.migration.uuid, inst.project_id or "", inst.user_id or "",
            target_new=True)
        if not moved:
            LOG.warning("Server %s had no allocations to move to migration %s", inst.uuid,
                        req.migration.uuid)
        return moved

    def rollback(self, result: bool | None, error: BaseException) -> None:
        """Give the source share back to the server; this drops any destination claim."""
        req = self._req
        if req.migration is None:
            return
        inst = req.instance
        req.runtime.placement.move_allocations(
            req.migration.uuid, inst.uuid, inst.project_id or "", inst.user_id or "",
            target_type="INSTANCE", source_type="MIGRATION")


class SelectDestination(Task[list[dict[str, Any]]]):
    """Ask the scheduler for a host (claimed for the server) and alternates."""

    def __init__(self, req: MoveRequest, scheduler: SchedulerAPI) -> None:
        self._req = req
        self._scheduler = scheduler

    def execute(self) -> list[dict[str, Any]]:
        """Returns the selection: chosen host first, then alternates from its cell."""
        req = self._req
        selections = self._scheduler.select_destinations(
            req.ctxt, req.spec, [req.instance.uuid])[0]
        dest = req.spec.requested_destination
        cross_cell = dest is not None and dest.allow_cross_cell_move
        if selections[0]["cell_uuid"] != req.cell.uuid and not cross_cell:
            raise exception.NoValidHost(reason="The chosen host is in another cell.")
        req.selections = selections
        return selections


class CastPrepResize(Task[None]):
    """Hand the move to the destination compute, or to the cross-cell steps."""

    def __init__(self, req: MoveRequest, compute: ComputeAPI,
                 cross_cell: Callable[[MoveRequest], list[dict[str, Any]] | None]) -> None:
        self._req = req
        self._compute = compute
        self._cross_cell = cross_cell

    def execute(self) -> None:
        """The server's zone follows the chosen host; a targeted move gets no alternates."""
        req = self._req
        assert req.migration is not None
        if req.selections[0]["cell_uuid"] != req.cell.uuid:
            # Synchronous: the superconductor drives every step (cirrus.conductor.cross_cell);
            # a retry may come back to the server's own cell.
            retry = self._cross_cell(req)
            if retry is None:
                return
            req.selections = retry
        chosen, alternates = req.selections[0], req.selections[1:]
        zone = hm_obj.zone_of(req.runtime.aggregates(), chosen["service_host"],
                              req.runtime.conf.default_availability_zone)
        with req.runtime.cell_session(req.cell) as s:
            instance_obj.set_fields(s, req.instance.uuid, availability_zone=zone)
        self._compute.prep_resize(
            req.ctxt, req.cell, chosen["service_host"], instance_uuid=req.instance.uuid,
            migration_uuid=req.migration.uuid, flavor=req.flavor.to_dict(),
            node=chosen["nodename"],
            alternates=None if req.target_host else alternates)

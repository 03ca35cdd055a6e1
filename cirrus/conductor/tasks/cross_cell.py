"""The superconductor's cross-cell resize: the steps after a host in another cell was chosen.

TargetDBSetup → PrepResizeAtDest → PrepResizeAtSource → FinishResizeAtDest → SwitchMapping,
each a synchronous call or a database change driven from here (no compute talks to a host
of another cell). Every step is journaled before it acts (``Journaled``), and each
rollback works from what the journal and the databases say, not from what ``execute``
returned, so that a superconductor that replaces a dead one can run the same rollbacks
(cirrus.conductor.recovery).
"""

from __future__ import annotations

import dataclasses
import logging
import uuid as uuidlib
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy.orm import Session

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import oslo_messaging as messaging

from cirrus import exception
from cirrus.compute import network, volumes
from cirrus.compute import rollback as rb
from cirrus.compute.rpcapi import ComputeAPI
from cirrus.conductor.tasks.base import Task
from cirrus.context import RequestContext
from cirrus.db.cell import copy as cell_copy
from cirrus.objects import host_mapping as hm_obj
from cirrus.objects import instance as instance_obj
from cirrus.objects import instance_action as action_obj
from cirrus.objects import instance_mapping as im_obj
from cirrus.objects import migration as migration_obj
from cirrus.objects import move_journal as journal_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.instance import Instance
from cirrus.objects.migration import Migration
from cirrus.objects.states import MigrationStatus, TaskState
from cirrus.runtime import Runtime

LOG = logging.getLogger(__name__)


@dataclasses.dataclass
class CrossCellMove:
    """What the steps of one cross-cell operation share; all of it is in the journal."""

    runtime: Runtime
    ctxt: RequestContext
    compute: ComputeAPI
    source_cell: CellMapping
    target_cell: CellMapping
    instance_uuid: str
    migration_uuid: str
    journal_id: int
    conductor_host: str
    data: dict[str, Any] = dataclasses.field(default_factory=dict)
    steps: list[dict[str, str]] = dataclasses.field(default_factory=list)

    @property
    def dest_host(self) -> str:
        """The chosen destination host (in the target cell)."""
        return str(self.data["dest_host"])

    @property
    def source_host(self) -> str:
        """The host the server is moving from (in the source cell)."""
        return str(self.data["source_host"])

    def remember(self, **facts: Any) -> None:
        """Record facts in the journal before acting on them."""
        self.data.update(facts)
        with self.runtime.api_session() as s:
            journal_obj.write(s, self.journal_id, data=self.data)

    def record(self, name: str, status: str,
               state: journal_obj.State | None = None) -> None:
        """Journal a step's status (``started``, ``rolled-back``) before it acts.

        The superconductor running the operation is the entry's only writer, so its copy
        of the steps is written as a whole: one UPDATE, no read.
        """
        self.note(name, status)
        with self.runtime.api_session() as s:
            journal_obj.write(s, self.journal_id, steps=self.steps, step=name, state=state)

    def note(self, name: str, status: str) -> None:
        """Set a step's status in this copy only; the next journal write carries it.

        "done" needs no write of its own: recovery undoes every step that *started*
        (rollbacks are idempotent) unless the mapping flipped, so a step whose "done"
        was not yet written is handled exactly as one that crashed just before it.
        """
        self.steps = [s for s in self.steps if s["name"] != name]
        self.steps.append({"name": name, "status": status})

    @contextmanager
    def source_db(self) -> Iterator[Session]:
        """A transaction on the source cell's database."""
        with self.runtime.cell_session(self.source_cell) as s:
            yield s

    @contextmanager
    def target_db(self) -> Iterator[Session]:
        """A transaction on the target cell's database."""
        with self.runtime.cell_session(self.target_cell) as s:
            yield s

    @contextmanager
    def reader(self, cell: CellMapping) -> Iterator[Session]:
        """A read-only session: taken while the other cell's write transaction is open,
        it holds no write lock, so two moves in opposite directions cannot deadlock."""
        with self.runtime.cell_reader(cell) as s:
            yield s

    def source_instance(self) -> Instance:
        """The server's record in the source cell."""
        with self.reader(self.source_cell) as s:
            return instance_obj.get_by_uuid(s, self.instance_uuid)

    def target_instance(self) -> Instance:
        """The server's record in the target cell."""
        with self.reader(self.target_cell) as s:
            return instance_obj.get_by_uuid(s, self.instance_uuid)

    def migration_in(self, session: Session) -> Migration:
        """This move's migration record in the cell of ``session``."""
        return migration_obj.get_by_uuid(session, self.migration_uuid)

    def mapped_to_target(self) -> bool:
        """Whether the instance mapping already points at the target cell."""
        with self.runtime.api_reader() as s:
            return im_obj.get(s, self.instance_uuid).cell_id == self.target_cell.id

    def call(self, cell: CellMapping, host: str, method: str, **kwargs: Any) -> Any:
        """A synchronous call to one host's part of the move."""
        return self.compute.cross_cell_call(
            self.ctxt, cell, host, method, instance_uuid=self.instance_uuid,
            migration_uuid=self.migration_uuid, **kwargs)

    def mirrored_event(self, name: str, host: str) -> Any:
        """An action event recorded in the source cell for a step run in the target cell."""
        def _sessions() -> Any:
            return self.runtime.cell_session(self.source_cell)
        return action_obj.event(_sessions, self.instance_uuid, self.ctxt.request_id,
                                name, host)


class Journaled(Task[Any]):
    """Wrap a step so the journal says it started before it acts, and done after."""

    def __init__(self, move: CrossCellMove, step: Task[Any]) -> None:
        self._move = move
        self._step = step
        self._begun = False

    @property
    def name(self) -> str:
        """The wrapped step's name."""
        return self._step.name

    def execute(self) -> Any:
        """Journal, run, mark done (written with the next step's record or the close)."""
        self._move.record(self.name, "started")
        self._begun = True
        result = self._step.execute()
        self._move.note(self.name, "done")
        return result

    def rollback(self, result: Any, error: BaseException) -> None:
        """Undo the step, then journal that it was undone."""
        self._step.rollback(result, error)
        if not self._begun:
            return  # it failed before it began: the journal never recorded it
        self._move.record(self.name, "rolled-back", journal_obj.State.ROLLING_BACK)


class MoveStep(Task[None]):
    """A step of a cross-cell operation: it works on the context the steps share."""

    def __init__(self, move: CrossCellMove) -> None:
        self._m = move


class TargetDBSetup(MoveStep):
    """A hidden copy of the server's records in the target cell (schema-driven, complete)."""

    def execute(self) -> None:
        """Copy every row of the server into the target cell, hidden."""
        m = self._m
        with m.source_db() as src:
            migration_obj.update(src, m.migration_uuid, cross_cell_move=True)
        with m.reader(m.source_cell) as src, m.target_db() as dst:
            # A copy left by an earlier attempt must not collide with this one (one SELECT
            # to find out, rather than a DELETE per table every time).
            if instance_obj.exists(dst, m.instance_uuid):
                cell_copy.hard_delete_instance(dst, m.instance_uuid)
            cell_copy.copy_instance(src, dst, m.instance_uuid,
                                    instance_overrides={"hidden": True})

    def rollback(self, result: None, error: BaseException) -> None:
        """Hard-delete the copy (a later move into this cell must not collide with it)."""
        m = self._m
        with m.target_db() as s:
            cell_copy.hard_delete_instance(s, m.instance_uuid)
        # The destination's usage figures counted the claim; let it recount.
        try:
            m.compute.cleanup_move(m.ctxt, m.target_cell, m.dest_host,
                                   instance_uuid=m.instance_uuid)
        except Exception:
            LOG.exception("Could not ask %s to clean up after %s", m.dest_host,
                          m.instance_uuid)


class PrepResizeAtDest(MoveStep):
    """Inactive port bindings for the destination, then the destination's claim."""

    def __init__(self, move: CrossCellMove, flavor: FlavorSpec, node: str | None) -> None:
        super().__init__(move)
        self._flavor = flavor
        self._node = node

    def execute(self) -> None:
        """Bind, claim, then record the destination on both copies of the migration."""
        m = self._m
        # The hidden copy TargetDBSetup made: the server's project and vm_state as the
        # source had them.
        copy = m.target_instance()
        try:
            network.create_inactive_bindings(m.runtime, m.instance_uuid, m.dest_host)
        except Exception as exc:
            raise exception.MigrationPreCheckError(
                reason=f"Failed to create port bindings for host {m.dest_host}") from exc
        try:
            if volumes.has_volumes(copy):
                volumes.reserve_for_move(m.runtime, m.target_cell, copy.project_id or "",
                                         m.instance_uuid)
        except Exception as exc:
            raise exception.MigrationPreCheckError(
                reason=f"Failed to create volume attachments for host {m.dest_host}: "
                       f"{exc}") from exc
        try:
            dest = m.call(m.target_cell, m.dest_host, "prep_snapshot_based_resize_at_dest",
                          flavor=self._flavor.to_dict(), node=self._node)
        except messaging.MessagingTimeout as exc:
            raise exception.MigrationPreCheckError(
                reason="RPC timeout while checking if we can cross-cell migrate to host: "
                       f"{m.dest_host}") from exc
        zone = hm_obj.zone_of(m.runtime.aggregates(), m.dest_host,
                              m.runtime.conf.default_availability_zone)
        with m.target_db() as s:
            instance_obj.set_system_metadata(s, m.instance_uuid,
                                             {rb.OLD_VM_STATE: copy.vm_state or "active"})
            instance_obj.set_fields(s, m.instance_uuid, availability_zone=zone)
        with m.source_db() as s:
            migration_obj.update(s, m.migration_uuid, **dest)

    def _project(self) -> str:
        return self._m.source_instance().project_id or ""

    def rollback(self, result: None, error: BaseException) -> None:
        """Remove the destination bindings and attachments, and the destination from the
        source migration."""
        m = self._m
        try:
            network.delete_bindings(m.runtime, m.instance_uuid, m.dest_host)
            # What the volume service holds beyond the source's mappings is this step's,
            # recorded in the copy or not.
            volumes.keep_only_named(m.runtime, m.source_cell, self._project(),
                                    m.instance_uuid)
        finally:
            with m.source_db() as s:
                migration_obj.update(s, m.migration_uuid, dest_compute=None,
                                     dest_node=None, dest_host=None)


class PrepResizeAtSource(MoveStep):
    """Snapshot the root disk to the image service, set the guest aside, hand ports over."""

    def __init__(self, move: CrossCellMove, flavor: FlavorSpec) -> None:
        super().__init__(move)
        self._flavor = flavor

    def execute(self) -> None:
        """Stash the flavors, create the empty snapshot image, then call the source."""
        m = self._m
        with m.source_db() as s:
            inst = instance_obj.get_by_uuid(s, m.instance_uuid)
            instance_obj.set_system_metadata(s, m.instance_uuid,
                                             {rb.OLD_VM_STATE: inst.vm_state or "active"},
                                             current=inst.system_metadata)
            instance_obj.set_flavors(s, m.instance_uuid, inst.flavor, inst.flavor,
                                     self._flavor)
            instance_obj.set_fields(s, m.instance_uuid,
                                    expected_task_state=TaskState.RESIZE_PREP,
                                    task_state=TaskState.RESIZE_MIGRATING)
        snapshot_id = self._create_snapshot(inst) if inst.image_ref else None
        m.call(m.source_cell, m.source_host, "prep_snapshot_based_resize_at_source",
               snapshot_id=snapshot_id, dest_host=m.dest_host)

    def _create_snapshot(self, inst: Instance) -> str:
        m = self._m
        # The id is journaled before the image exists, so no crash can leak it (I3): with
        # the entry (CrossCellMover._attempt), else here.
        snapshot_id = str(m.data.get("snapshot_id") or "")
        if not snapshot_id:
            snapshot_id = str(uuidlib.uuid4())
            m.remember(snapshot_id=snapshot_id)
        props = {"instance_uuid": inst.uuid, "user_id": m.ctxt.user_id or "",
                 "image_type": "snapshot"}
        props.update({k[len("image_"):]: v for k, v in inst.system_metadata.items()
                      if k.startswith("image_") and v is not None and
                      k not in ("image_disk_format", "image_container_format")})
        owner = inst.project_id
        shared = m.ctxt.project_id != owner
        if shared:
            props["instance_owner"] = owner or ""
        m.runtime.image.create_image(
            name=f"{inst.display_name}-resize-temp", disk_format=None, container_format=None,
            image_id=snapshot_id, owner=owner, properties=props,
            visibility="shared" if shared else "private")
        return snapshot_id

    def rollback(self, result: None, error: BaseException) -> None:
        """Delete the snapshot and give the ports back to the source host."""
        m = self._m
        delete_snapshot(m)
        network.activate_bindings(m.runtime, m.instance_uuid, m.source_host)
        with m.source_db() as s:
            inst = instance_obj.get_by_uuid(s, m.instance_uuid)
            instance_obj.set_flavors(s, m.instance_uuid, inst.old_flavor or inst.flavor,
                                     None, None)


def delete_snapshot(move: CrossCellMove) -> None:
    """Delete the move's temporary snapshot image if it (still) exists."""
    snapshot_id = move.data.get("snapshot_id")
    if not snapshot_id:
        return
    move.runtime.image.discard_image(snapshot_id)


class FinishResizeAtDest(MoveStep):
    """Spawn on the destination from the snapshot (the copy is VERIFY_RESIZE, hidden)."""

    def execute(self) -> None:
        """Mirror the source's progress into the copy, then call the destination."""
        m = self._m
        with m.target_db() as s:
            instance_obj.set_fields(s, m.instance_uuid,
                                    expected_task_state=TaskState.RESIZE_PREP,
                                    task_state=TaskState.RESIZE_MIGRATED)
            migration_obj.walk_to(s, m.migration_uuid, MigrationStatus.POST_MIGRATING)
        with m.mirrored_event("compute_finish_snapshot_based_resize_at_dest", m.dest_host):
            m.call(m.target_cell, m.dest_host, "finish_snapshot_based_resize_at_dest",
                   snapshot_id=m.data.get("snapshot_id"), source_host=m.source_host)


class SwitchMapping(MoveStep):
    """Make the copy the server: unhide it, point the mapping at it, hide the source."""

    def execute(self) -> None:
        """The mapping flip is the single moment the server changes cell."""
        m = self._m
        # Events the source recorded since the copy belong to the history the user sees.
        with m.reader(m.source_cell) as src, m.target_db() as dst:
            cell_copy.copy_new_history(src, dst, m.instance_uuid)
            # The copy becomes visible with its history, in the same transaction.
            instance_obj.set_fields(dst, m.instance_uuid, hidden=False)
        switch(m, to_target=True, shown=True)

    def rollback(self, result: None, error: BaseException) -> None:
        """Point the mapping back at the source if it had flipped."""
        switch(self._m, to_target=False)


def switch(move: CrossCellMove, *, to_target: bool, shown: bool = False) -> None:
    """Point the server at one cell: that copy visible, the mapping, the other hidden.

    Lists show only unhidden copies and resolve a duplicate through the mapping, so at
    every moment of the three writes the API shows the server exactly once. ``shown``:
    the caller already made that copy visible.
    """
    new, old = ((move.target_cell, move.source_cell) if to_target
                else (move.source_cell, move.target_cell))
    if not shown:
        with move.runtime.cell_session(new) as s:
            instance_obj.set_fields(s, move.instance_uuid, hidden=False)
    with move.runtime.api_session() as s:
        im_obj.set_cell(s, move.instance_uuid, new.id)
    # The other copy may be gone already (a recovered revert deleted it).
    with suppress(exception.InstanceNotFound), move.runtime.cell_session(old) as s:
        instance_obj.set_fields(s, move.instance_uuid, hidden=True)

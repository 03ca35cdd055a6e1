"""The compute side of a cross-cell move: six methods the superconductor calls, one by one.

Hosts of different cells never talk to each other; each method does one host's part and
returns, and the superconductor (cirrus.conductor.tasks.cross_cell) carries what one
host produced to the other. Each method records its instance action event in its own
cell's database and sends the notifications Nova sends from the computes (reference
§2.12). Errors are raised back to the caller, which owns the rollback.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import oslo_messaging as messaging

from cirrus import exception
from cirrus.compute import network, progress, volumes
from cirrus.compute import rollback as rb
from cirrus.context import RequestContext
from cirrus.db.base import utcnow
from cirrus.image.streams import BackgroundHash, read_ahead
from cirrus.objects import instance as instance_obj
from cirrus.objects import instance_action as action_obj
from cirrus.objects import migration as migration_obj
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.instance import Instance
from cirrus.objects.migration import Migration
from cirrus.objects.states import MigrationStatus, PowerState, TaskState, VmState

if TYPE_CHECKING:
    from cirrus.compute.manager import ComputeManager

LOG = logging.getLogger(__name__)
_M = MigrationStatus


class CrossCellManager:
    """RPC endpoint for the cross-cell move methods of one compute host."""

    target = messaging.Target(version="6.2")

    def __init__(self, compute: ComputeManager) -> None:
        self._c = compute

    def _load(self, ctxt: RequestContext, instance_uuid: str, migration_uuid: str,
              event: str) -> tuple[Instance, Migration, action_obj.Recorder]:
        """The server and the migration, read in the transaction that starts the method's
        instance action event; the recorder, entered around the method's work, ends it.
        """
        c = self._c
        with c.runtime.cell_session(c.cell) as s:
            inst = instance_obj.get_by_uuid(s, instance_uuid)
            mig = migration_obj.get_by_uuid(s, migration_uuid)
            recorder = action_obj.start_in(s, c._session, instance_uuid, ctxt.request_id,
                                           (f"compute_{event}",), c.host)
        return inst, mig, recorder

    def _transition(self, mig: Migration, to: MigrationStatus,
                    last_of: action_obj.Recorder | None = None) -> Migration:
        # This cell's copy may lag the other's (the source never sees "finished"), so it
        # walks the transition table up to ``to``; a repeated call changes nothing.
        # ``last_of``: the step whose last write this is, its event finished with it.
        transaction = self._c.runtime.cell_session(self._c.cell)
        with (last_of.finishing(transaction) if last_of else transaction) as s:
            return migration_obj.walk_to(s, mig.id, to)

    # -- resize: destination, then source, then destination ----------------------------

    def prep_snapshot_based_resize_at_dest(
        self, ctxt: RequestContext, instance_uuid: str, migration_uuid: str,
        flavor: dict[str, Any], node: str | None = None, **_ignored: Any,
    ) -> dict[str, Any]:
        """Claim this host for the incoming server (a hidden copy in this cell).

        Returns:
            The destination fields the superconductor copies to the source migration.

        Raises:
            MigrationPreCheckError: the claim failed ("Pre-checks failed on host ...").
        """
        c = self._c
        new = FlavorSpec.from_dict(flavor)
        inst, mig, recorder = self._load(ctxt, instance_uuid, migration_uuid,
                                         "prep_snapshot_based_resize_at_dest")
        # Notifying never raises: the event started above is always finished below.
        c._notify(ctxt, inst, "exists")
        c._notify(ctxt, inst, "resize_prep.start")
        try:
            with recorder:
                try:
                    return self._claim(inst, mig, new, node)
                except Exception as exc:
                    raise exception.MigrationPreCheckError(
                        reason=f"Pre-checks failed on host '{c.host}'. Error: {exc}") from exc
        finally:
            c._notify(ctxt, inst, "resize_prep.end", new_instance_type=new.name,
                      new_instance_type_id=new.id)

    def _claim(self, inst: Instance, mig: Migration, flavor: FlavorSpec,
               node: str | None) -> dict[str, Any]:
        c = self._c
        c.driver.prepare_migration_target(inst.uuid, flavor)
        node = node or c.tracker.node().hypervisor_hostname
        dest = {"dest_compute": c.host, "dest_node": node,
                "dest_host": c.tracker.node(node).host_ip}
        # Nova skips the late group check here; a cross-cell destination checks too.
        with c.group_policy.placing(inst.uuid), c.runtime.cell_session(c.cell) as s:
            instance_obj.set_flavors(s, inst.uuid, inst.flavor, None, flavor)
            migration_obj.update(s, mig.id, **dest)
        c.tracker.refresh_usage()
        return dest

    def prep_snapshot_based_resize_at_source(
        self, ctxt: RequestContext, instance_uuid: str, migration_uuid: str,
        snapshot_id: str | None = None, dest_host: str | None = None, **_ignored: Any,
    ) -> None:
        """Power off, upload the root disk, set the guest aside and hand the ports over.

        Raises:
            InstancePowerOffFailure: the guest did not stop (it is left as it was).
            Exception: any later failure, with the server in ERROR (its disks are kept).
        """
        c = self._c
        inst, mig, recorder = self._load(ctxt, instance_uuid, migration_uuid,
                                         "prep_snapshot_based_resize_at_source")
        with recorder:
            c._notify(ctxt, inst, "resize.start")
            mig = self._transition(mig, _M.MIGRATING)
            try:
                c.driver.power_off(inst.uuid)
            except Exception as exc:
                raise exception.InstancePowerOffFailure(reason=str(exc)) from exc
            inst = c._save(inst, power_state=PowerState.SHUTDOWN)
            if snapshot_id:
                self._upload(inst.uuid, mig, snapshot_id)
            try:
                inst = self._hand_over(inst, mig, dest_host or mig.dest_compute or "",
                                       recorder)
            except Exception:
                c._set(inst.uuid, vm_state=VmState.ERROR)
                raise
        # No recount: the source counts the server's old flavor from the migration's
        # start to its end, whatever step the move is at.
        c._notify(ctxt, inst, "resize.end")

    def _upload(self, uuid: str, mig: Migration, snapshot_id: str) -> None:
        c = self._c
        image = c.runtime.image
        image.update_image(snapshot_id, {"disk_format": c.driver.snapshot_format(uuid),
                                         "container_format": "bare"})
        with progress.for_migration(c.runtime, c.cell, mig.id, progress.UPLOAD) as report:
            stream = read_ahead(c.driver.snapshot(uuid, progress=report))
            try:
                sent = _Hashed(stream, c.runtime.conf.glance.hashing_algorithm)
                image.upload_data(snapshot_id, sent)
            finally:
                # A failed upload stops reading the disk now, not when collected.
                stream.close()
        # The destination checks what it downloads against the image's checksums; this
        # checks that those checksums are of the bytes the disk really holds.
        stored = image.get_image(snapshot_id)
        if stored.os_hash_algo != sent.hash.name:
            LOG.warning("The image service hashes with %s, not %s as [glance] "
                        "hashing_algorithm says; snapshot %s is checked by the destination "
                        "only.", stored.os_hash_algo, sent.hash.name, snapshot_id)
        elif stored.os_hash_value != sent.hash.hexdigest():
            raise exception.DriverError(
                method="snapshot", reason=f"the image service stored snapshot {snapshot_id} "
                f"with {sent.hash.name} {stored.os_hash_value}, the disk sent "
                f"{sent.hash.hexdigest()}")

    def _hand_over(self, inst: Instance, mig: Migration, dest_host: str,
                   recorder: action_obj.Recorder) -> Instance:
        c = self._c
        c.driver.set_aside(inst.uuid)
        network.activate_bindings(c.runtime, inst.uuid, dest_host)
        # The migration and the server say "migrated" together, or neither does; the
        # step's event ends with them (this is its last write).
        with recorder.finishing(c.runtime.cell_session(c.cell)) as s:
            migration_obj.walk_to(s, mig.id, _M.POST_MIGRATING)
            return instance_obj.save(s, inst, expected_task_state=TaskState.RESIZE_MIGRATING,
                                     task_state=TaskState.RESIZE_MIGRATED)

    def finish_snapshot_based_resize_at_dest(
        self, ctxt: RequestContext, instance_uuid: str, migration_uuid: str,
        snapshot_id: str | None = None, source_host: str | None = None, **_ignored: Any,
    ) -> None:
        """Spawn the server here from the snapshot; it becomes VERIFY_RESIZE (still hidden).

        On failure the ports are handed back to ``source_host`` before the error is raised.
        """
        c = self._c
        inst, mig, recorder = self._load(ctxt, instance_uuid, migration_uuid,
                                         "finish_snapshot_based_resize_at_dest")
        with recorder:
            old = inst.flavor
            new = inst.new_flavor or inst.flavor
            assert old is not None and new is not None
            with c.runtime.cell_session(c.cell) as s:
                inst = instance_obj.save(
                    s, inst, expected_task_state=TaskState.RESIZE_MIGRATED,
                    task_state=TaskState.RESIZE_FINISH, flavor=new, old_flavor=old,
                    new_flavor=new, **instance_obj.flavor_columns(new))
            c._notify(ctxt, inst, "resize_finish.start")
            try:
                if volumes.has_volumes(inst):
                    volumes.connect_all_reserved(c.runtime, c.cell, inst.project_id or "",
                                                 inst.uuid, c.host)
                self._spawn(inst, mig, new, snapshot_id)
            except Exception:
                if source_host:
                    network.activate_bindings(c.runtime, inst.uuid, source_host)
                raise
            if snapshot_id:
                self._delete_snapshot(snapshot_id)
            power = c.driver.get_power_state(inst.uuid)
            with recorder.finishing(c.runtime.cell_session(c.cell)) as s:
                migration_obj.walk_to(s, mig.id, _M.FINISHED)
                inst = instance_obj.save(
                    s, inst, expected_task_state=TaskState.RESIZE_FINISH,
                    vm_state=VmState.RESIZED, task_state=None, host=c.host,
                    node=mig.dest_node, launched_at=utcnow(), power_state=power)
        # No recount: the claim's recount already counts the new flavor here, through
        # the migration, as long as it is in progress.
        c._notify(ctxt, inst, "resize_finish.end")

    def _spawn(self, inst: Instance, mig: Migration, flavor: FlavorSpec,
               snapshot_id: str | None) -> None:
        c = self._c
        guest = c.guest(inst, flavor, snapshot_id)
        if snapshot_id:
            with progress.for_migration(c.runtime, c.cell, mig.id,
                                        progress.DOWNLOAD) as report:
                c.driver.spawn(guest, {"id": snapshot_id}, progress=report)
        else:
            c.driver.spawn(guest, {})
        if rb.old_vm_state(inst) == VmState.STOPPED:
            c.driver.power_off(inst.uuid)

    def _delete_snapshot(self, snapshot_id: str) -> None:
        try:
            self._c.runtime.image.discard_image(snapshot_id)
        except Exception:
            # The superconductor deletes it again when the move ends (invariant I3).
            LOG.exception("Could not delete the temporary snapshot %s", snapshot_id)

    # -- confirm: source --------------------------------------------------------------

    def confirm_snapshot_based_resize_at_source(
        self, ctxt: RequestContext, instance_uuid: str, migration_uuid: str,
        **_ignored: Any,
    ) -> None:
        """Remove the set-aside disks and the source bindings; drop the source share.

        Raises:
            AllocationDeleteFailed: Placement refused to drop the migration's allocations.
        """
        c = self._c
        inst, mig, recorder = self._load(ctxt, instance_uuid, migration_uuid,
                                         "confirm_snapshot_based_resize_at_source")
        try:
            with recorder:
                if c.driver.has_move_leftovers(inst.uuid):
                    c.driver.confirm_migration(inst.uuid)
                network.delete_bindings(c.runtime, inst.uuid, c.host)
                if volumes.has_volumes(inst):
                    volumes.release_named(c.runtime, c.cell, inst.project_id or "",
                                          inst.uuid)
                self._transition(mig, _M.CONFIRMED, last_of=recorder)
        finally:
            try:
                c.runtime.placement.delete_allocations(mig.uuid)
            except Exception as exc:
                raise exception.AllocationDeleteFailed(consumer_uuid=mig.uuid,
                                                       error=str(exc)) from exc
            finally:
                c.tracker.refresh_usage()

    # -- revert: destination, then source ---------------------------------------------

    def revert_snapshot_based_resize_at_dest(
        self, ctxt: RequestContext, instance_uuid: str, migration_uuid: str,
        **_ignored: Any,
    ) -> None:
        """Destroy the guest here, give the ports back to the source, end the claim."""
        c = self._c
        inst, mig, recorder = self._load(ctxt, instance_uuid, migration_uuid,
                                         "revert_snapshot_based_resize_at_dest")
        c._notify(ctxt, inst, "exists")
        with recorder:
            c.driver.destroy(inst.uuid)
            source = mig.source_compute or ""
            # The source binding first: deleting the active one would unbind the port.
            network.activate_bindings(c.runtime, inst.uuid, source)
            network.delete_bindings(c.runtime, inst.uuid, c.host)
            volumes.release_named(c.runtime, c.cell, inst.project_id or "", inst.uuid)
            self._transition(mig, _M.REVERTED, last_of=recorder)
        c.tracker.refresh_usage()

    def finish_revert_snapshot_based_resize_at_source(
        self, ctxt: RequestContext, instance_uuid: str, migration_uuid: str,
        **_ignored: Any,
    ) -> None:
        """Restart the server here from its kept disks, with its old flavor and allocations.

        Raises:
            AllocationMoveFailed: Placement kept the source share on the migration; the
                server is left to ERROR (its disks are kept) and a hard reboot rewrites
                its allocations, as for a revert within a cell.
        """
        c = self._c
        inst, mig, recorder = self._load(ctxt, instance_uuid, migration_uuid,
                                         "finish_revert_snapshot_based_resize_at_source")
        with recorder:
            old = inst.old_flavor or inst.flavor
            assert old is not None
            rb.give_back_or_fail(c.runtime, inst, mig)
            network.activate_bindings(c.runtime, inst.uuid, c.host)
            volumes.connect_pending(c.runtime, c.cell, inst.project_id or "", inst.uuid,
                                    c.host)
            power_on = rb.old_vm_state(inst) != VmState.STOPPED
            c.driver.finish_revert_migration(c.guest(inst, old), power_on=power_on)
            self._transition(mig, _M.REVERTED)
            with recorder.finishing(c.runtime.cell_session(c.cell)) as s:
                instance_obj.set_flavors(s, inst.uuid, old, None, None)
                instance_obj.set_system_metadata(s, inst.uuid, {rb.OLD_VM_STATE: None})
                instance_obj.set_fields(
                    s, inst.uuid, expected_task_state=TaskState.RESIZE_REVERTING,
                    vm_state=VmState.ACTIVE if power_on else VmState.STOPPED,
                    task_state=None, host=c.host, node=mig.source_node,
                    power_state=c.driver.get_power_state(inst.uuid),
                    **instance_obj.flavor_columns(old))
        c.tracker.refresh_usage()


class _Hashed:
    """An iterable of byte chunks that hashes them (on a worker) as they are consumed.

    The algorithm is the image service's ``os_hash_algo``: its stronger sum, and on CPUs
    with SHA extensions a faster one than md5.
    """

    def __init__(self, chunks: Iterable[bytes], algo: str) -> None:
        self._chunks = chunks
        self.hash = BackgroundHash(algo)

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self._chunks:
                self.hash.update(chunk)
                yield chunk
        finally:
            self.hash.close()

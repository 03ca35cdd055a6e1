"""The compute side of a same-cell resize or cold migration, and of its confirm and revert.

The hosts cast to each other, as Nova's do: destination ``prep_resize`` → source
``resize_instance`` → destination ``finish_resize`` (VERIFY_RESIZE). Confirm runs on the
source; revert runs on the destination, then on the source. Every step records its
instance action event and notifications; a failed step ends in ``rollback.abort_move``
so the server stays usable (invariant I6).
"""

from __future__ import annotations

import logging
import warnings
from typing import TYPE_CHECKING, Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import oslo_messaging as messaging

from cirrus import exception
from cirrus.compute import network, progress, recovery, volumes
from cirrus.compute import rollback as rb
from cirrus.compute.rpcapi import ComputeAPI
from cirrus.conductor.rpcapi import CellTaskAPI
from cirrus.context import RequestContext
from cirrus.db.base import utcnow
from cirrus.objects import instance as instance_obj
from cirrus.objects import migration as migration_obj
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.instance import Instance
from cirrus.objects.migration import Migration
from cirrus.objects.states import MigrationStatus, PowerState, TaskState, VmState

if TYPE_CHECKING:
    from cirrus.compute.manager import ComputeManager

LOG = logging.getLogger(__name__)
_M = MigrationStatus


class MoveManager:
    """RPC endpoint for the move methods of one compute host (next to ComputeManager)."""

    target = messaging.Target(version="6.2")

    def __init__(self, compute: ComputeManager) -> None:
        self._c = compute
        self._rpc = ComputeAPI(compute.runtime)
        self._conductor = CellTaskAPI(compute.runtime)

    # -- helpers -----------------------------------------------------------------------

    def _load(self, instance_uuid: str, migration_uuid: str) -> tuple[Instance, Migration]:
        with self._c.runtime.cell_session(self._c.cell) as s:
            return (instance_obj.get_by_uuid(s, instance_uuid),
                    migration_obj.get_by_uuid(s, migration_uuid))

    def _load_live(self, instance_uuid: str,
                   migration_uuid: str) -> tuple[Instance, Migration] | None:
        """The server and its migration; None (claims released) if either was deleted."""
        try:
            return self._load(instance_uuid, migration_uuid)
        except (exception.InstanceNotFound, exception.MigrationNotFound):
            self._gone(instance_uuid, migration_uuid)
            return None

    def _transition(self, mig: Migration, to: MigrationStatus, **changes: Any) -> Migration:
        with self._c.runtime.cell_session(self._c.cell) as s:
            return migration_obj.transition(s, mig.id, to, **changes)

    def _abort(self, ctxt: RequestContext, inst: Instance, mig: Migration,
               error: BaseException, event: str, *, to_source: bool,
               vm_state: str | None = VmState.ERROR) -> None:
        LOG.error("Step %s of the move of %s failed on %s: %s", event, inst.uuid,
                  self._c.host, error)
        inst = rb.abort_move(self._c.runtime, self._c.cell, inst, mig, error,
                             to_source=to_source, vm_state=vm_state, host=self._c.host)
        self._c.tracker.refresh_usage()
        for host in {mig.source_compute, mig.dest_compute} - {inst.host, None}:
            if host == self._c.host:
                recovery.discard_remains(self._c, inst.uuid, inst.host)
            else:
                self.cleanup_elsewhere(ctxt, host or "", inst.uuid)
        self._c.notifier.emit(ctxt, f"instance.{event}.error", "InstanceActionPayload",
                              self._payload(inst, error), error=True)

    @staticmethod
    def _payload(inst: Instance, error: BaseException) -> dict[str, Any]:
        from cirrus.notifications.notifier import instance_payload

        return instance_payload(inst, fault={"exception": type(error).__name__,
                                             "exception_message": str(error)})

    def _gone(self, instance_uuid: str, migration_uuid: str) -> None:
        """The server (or its migration) was deleted mid-move: release the move's claims."""
        LOG.info("Server %s or migration %s is gone; releasing their allocations",
                 instance_uuid, migration_uuid)
        self._c.runtime.placement.delete_allocations(migration_uuid)

    def cleanup_elsewhere(self, ctxt: RequestContext, host: str, instance_uuid: str) -> None:
        """Ask ``host`` to remove what a move of the server left there."""
        self._rpc.cleanup_move(ctxt, self._c.cell, host, instance_uuid=instance_uuid)

    def cleanup_move(self, ctxt: RequestContext, instance_uuid: str,
                     **_ignored: Any) -> None:
        """Remove this host's copy of a server that lives elsewhere (or was deleted)."""
        del ctxt
        try:
            host = self._c._get(instance_uuid).host
        except exception.InstanceNotFound:
            host = None
        recovery.discard_remains(self._c, instance_uuid, host)

    # -- destination: claim ------------------------------------------------------------

    def prep_resize(self, ctxt: RequestContext, instance_uuid: str, migration_uuid: str,
                    flavor: dict[str, Any], node: str | None = None,
                    alternates: list[dict[str, Any]] | None = None,
                    image: dict[str, Any] | None = None, **_ignored: Any) -> None:
        """Claim this host for an incoming server, then hand over to the source."""
        loaded = self._load_live(instance_uuid, migration_uuid)
        if loaded is None:
            return
        inst, mig = loaded
        new_flavor = FlavorSpec.from_dict(flavor)
        self._c._notify(ctxt, inst, "exists")
        self._c._notify(ctxt, inst, "resize_prep.start")
        try:
            with self._c._event(ctxt, instance_uuid, "prep_resize"):
                self._prep(inst, mig, new_flavor, node)
        except Exception as exc:
            self._prep_failed(ctxt, inst, mig, flavor, alternates, image, exc)
            return
        finally:
            self._c._notify(ctxt, inst, "resize_prep.end",
                            new_instance_type=new_flavor.name,
                            new_instance_type_id=new_flavor.id)
        self._rpc.resize_instance(ctxt, self._c.cell, mig.source_compute or "",
                                  instance_uuid=instance_uuid, migration_uuid=migration_uuid,
                                  flavor=flavor)

    def _prep(self, inst: Instance, mig: Migration, flavor: FlavorSpec,
              node: str | None) -> None:
        c = self._c
        if not inst.host:
            raise exception.MigrationError(reason=f"instance {inst.uuid} has no host")
        if inst.host == c.host and inst.flavor is not None and inst.flavor.id == flavor.id:
            raise exception.UnableToMigrateToSelf(instance_id=inst.uuid, host=c.host)
        c.driver.prepare_migration_target(inst.uuid, flavor)
        node = node or c.tracker.node().hypervisor_hostname
        with c.group_policy.placing(inst.uuid), c.runtime.cell_session(c.cell) as s:
            instance_obj.set_flavors(s, inst.uuid, inst.flavor, None, flavor)
            instance_obj.set_system_metadata(s, inst.uuid,
                                             {rb.OLD_VM_STATE: inst.vm_state or "active"})
            migration_obj.update(s, mig.id, dest_compute=c.host, dest_node=node,
                                 dest_host=c.tracker.node(node).host_ip)
        c.tracker.refresh_usage()

    def _prep_failed(self, ctxt: RequestContext, inst: Instance, mig: Migration,
                     flavor: dict[str, Any], alternates: list[dict[str, Any]] | None,
                     image: dict[str, Any] | None, error: Exception) -> None:
        """Give the claim back; try the next alternate, or end the move with the server intact."""
        c = self._c
        LOG.warning("Claim for %s on %s failed: %s", inst.uuid, c.host, error)
        with c.runtime.cell_session(c.cell) as s:
            migration_obj.update(s, mig.id, dest_compute=None, dest_node=None, dest_host=None)
            instance_obj.set_flavors(s, inst.uuid, inst.flavor, None, None)
        retry = alternates is not None and c.runtime.conf.scheduler.max_attempts > 1
        if retry and alternates:
            try:
                rb.give_back_to_source(c.runtime, inst, mig)
            except Exception as exc:
                self._abort(ctxt, inst, mig, exc, "resize", to_source=True,
                            vm_state=rb.old_vm_state(inst))
                return
            c.tracker.refresh_usage()
            with c.runtime.cell_session(c.cell) as s:
                instance_obj.add_fault(s, inst.uuid, 500, str(error)[:255], repr(error), c.host)
            c.notifier.emit(ctxt, "instance.resize.error", "InstanceActionPayload",
                            self._payload(inst, error), error=True)
            self._conductor.reschedule_resize(
                ctxt, c.cell, instance_uuid=inst.uuid, migration_uuid=mig.uuid,
                flavor=flavor, alternates=alternates, reason=str(error), image=image or {})
            return
        if retry:
            error = exception.MaxRetriesExceeded(reason=(
                "Exhausted all hosts available for retrying build failures for instance "
                f"{inst.uuid}. Last exception: {error}"))
        # Nothing was done to the guest yet: it keeps running on the source as it was.
        self._abort(ctxt, inst, mig, error, "resize", to_source=True,
                    vm_state=rb.old_vm_state(inst))

    # -- source: hand over -------------------------------------------------------------

    def resize_instance(self, ctxt: RequestContext, instance_uuid: str, migration_uuid: str,
                        flavor: dict[str, Any], **_ignored: Any) -> None:
        """Power off, hand the disks to the destination and point the server at it."""
        c = self._c
        loaded = self._load_live(instance_uuid, migration_uuid)
        if loaded is None:
            return
        inst, mig = loaded
        try:
            with c._event(ctxt, instance_uuid, "resize_instance"):
                mig = self._transition(mig, _M.MIGRATING)
                inst = c._save(inst, expected_task_state=TaskState.RESIZE_PREP,
                               task_state=TaskState.RESIZE_MIGRATING)
                c._notify(ctxt, inst, "resize.start")
                with progress.for_migration(c.runtime, c.cell, mig.id,
                                            progress.COPY) as report:
                    c.driver.migrate_disk_and_power_off(
                        instance_uuid, mig.dest_compute or "", FlavorSpec.from_dict(flavor),
                        progress=report)
                mig = self._transition(mig, _M.POST_MIGRATING)
                with c.runtime.cell_session(c.cell) as s:
                    # The old flavor is stashed here, on the source, as Nova does (bug
                    # 1944759: stashing it on the destination raced the tracker).
                    inst = instance_obj.save(
                        s, inst, expected_task_state=TaskState.RESIZE_MIGRATING,
                        task_state=TaskState.RESIZE_MIGRATED, host=mig.dest_compute,
                        node=mig.dest_node, power_state=PowerState.SHUTDOWN,
                        old_flavor=inst.flavor)
        except Exception as exc:
            self._abort(ctxt, inst, mig, exc, "resize", to_source=True)
            return
        c.tracker.refresh_usage()
        self._rpc.finish_resize(ctxt, c.cell, mig.dest_compute or "",
                                instance_uuid=instance_uuid, migration_uuid=migration_uuid)
        c._notify(ctxt, inst, "resize.end")

    # -- destination: start ------------------------------------------------------------

    def finish_resize(self, ctxt: RequestContext, instance_uuid: str, migration_uuid: str,
                      **_ignored: Any) -> None:
        """Start the server here with its new flavor; it becomes VERIFY_RESIZE."""
        c = self._c
        loaded = self._load_live(instance_uuid, migration_uuid)
        if loaded is None:
            return
        inst, mig = loaded
        try:
            with c._event(ctxt, instance_uuid, "finish_resize"):
                inst = self._finish(ctxt, inst, mig)
        except Exception as exc:
            # The server already lives here: keep the destination, drop the source share.
            self._abort(ctxt, inst, mig, exc, "resize_finish", to_source=False)
            return
        c.tracker.refresh_usage()
        c._notify(ctxt, inst, "resize_finish.end")

    def _finish(self, ctxt: RequestContext, inst: Instance, mig: Migration) -> Instance:
        c = self._c
        old = inst.old_flavor or inst.flavor
        new = inst.new_flavor or inst.flavor
        assert old is not None and new is not None
        with c.runtime.cell_session(c.cell) as s:
            inst = instance_obj.save(
                s, inst, expected_task_state=TaskState.RESIZE_MIGRATED,
                task_state=TaskState.RESIZE_FINISH, flavor=new, old_flavor=old, new_flavor=new,
                **instance_obj.flavor_columns(new))
        c._notify(ctxt, inst, "resize_finish.start")
        network.bind_to_host(c.runtime, inst.uuid, c.host)
        volumes.move_to_host(c.runtime, c.cell, inst.project_id or "", inst.uuid, c.host)
        resize_disk = (old.root_gb, old.ephemeral_gb, old.swap) != (
            new.root_gb, new.ephemeral_gb, new.swap)
        c.driver.finish_migration(c.guest(inst, new), resize_disk,
                                  power_on=rb.old_vm_state(inst) != VmState.STOPPED)
        self._transition(mig, _M.FINISHED)
        return c._save(inst, expected_task_state=TaskState.RESIZE_FINISH,
                       vm_state=VmState.RESIZED, task_state=None, launched_at=utcnow(),
                       power_state=c.driver.get_power_state(inst.uuid))

    # -- source: confirm ---------------------------------------------------------------

    def confirm_resize(self, ctxt: RequestContext, instance_uuid: str, migration_uuid: str,
                       **_ignored: Any) -> None:
        """Remove what the move left on this (source) host; the server stays where it is."""
        c = self._c
        try:
            inst, mig = self._load(instance_uuid, migration_uuid)
        except exception.InstanceNotFound:
            self._gone(instance_uuid, migration_uuid)
            return
        except exception.MigrationNotFound:
            return
        if mig.status == _M.CONFIRMED:
            return
        if mig.status not in (_M.FINISHED, _M.CONFIRMING):
            LOG.warning("Not confirming migration %s in status %s", mig.uuid, mig.status)
            return
        c._notify(ctxt, inst, "resize_confirm.start")
        try:
            with c._event(ctxt, instance_uuid, "confirm_resize"):
                c.driver.confirm_migration(instance_uuid)
                volumes.keep_only_named(c.runtime, c.cell, inst.project_id or "",
                                        instance_uuid)
                try:
                    c.runtime.placement.delete_allocations(mig.uuid)
                except Exception as exc:
                    raise exception.AllocationDeleteFailed(
                        consumer_uuid=mig.uuid, error=str(exc)) from exc
                self._transition(mig, _M.CONFIRMED)
                stopped = inst.power_state == PowerState.SHUTDOWN
                inst = self._settle(inst, VmState.STOPPED if stopped else VmState.ACTIVE,
                                    expected=(None, TaskState.DELETING))
        except Exception as exc:
            self._abort(ctxt, inst, mig, exc, "resize_confirm", to_source=False)
            return
        finally:
            c.tracker.refresh_usage()
        c._notify(ctxt, inst, "resize_confirm.end")

    def _settle(self, inst: Instance, vm_state: VmState,
                expected: tuple[str | None, ...], **changes: Any) -> Instance:
        """Leave the move behind: stable state, no stashed flavors."""
        c = self._c
        with c.runtime.cell_session(c.cell) as s:
            current = instance_obj.get_by_uuid(s, inst.uuid)
            instance_obj.set_system_metadata(s, inst.uuid, {rb.OLD_VM_STATE: None})
            current.system_metadata.pop(rb.OLD_VM_STATE, None)
            return instance_obj.save(
                s, current, expected_task_state=list(expected), vm_state=vm_state,
                task_state=None, flavor=changes.pop("flavor", current.flavor), old_flavor=None,
                new_flavor=None, **changes)

    # -- revert: destination, then source ----------------------------------------------

    def revert_resize(self, ctxt: RequestContext, instance_uuid: str, migration_uuid: str,
                      **_ignored: Any) -> None:
        """Destroy the server here and send it back to the source host."""
        c = self._c
        loaded = self._load_live(instance_uuid, migration_uuid)
        if loaded is None:
            return
        inst, mig = loaded
        c._notify(ctxt, inst, "exists")
        try:
            with c._event(ctxt, instance_uuid, "revert_resize"):
                c.driver.destroy(instance_uuid)
                volumes.back_to_previous(c.runtime, c.cell, inst.project_id or "",
                                         instance_uuid, source_host=mig.source_compute)
                # The server is pointed back at the source now so that this host's
                # tracker stops counting it; the migration stays "reverting" until the
                # source has finished (Nova marks it "reverted" here, and a revert that
                # then fails on the source is reported as done).
                c._set(instance_uuid, host=mig.source_compute, node=mig.source_node)
        except Exception as exc:
            self._abort(ctxt, inst, mig, exc, "resize_revert", to_source=True)
            return
        c.tracker.refresh_usage()
        self._rpc.finish_revert_resize(ctxt, c.cell, mig.source_compute or "",
                                       instance_uuid=instance_uuid,
                                       migration_uuid=migration_uuid)

    def finish_revert_resize(self, ctxt: RequestContext, instance_uuid: str,
                             migration_uuid: str, **_ignored: Any) -> None:
        """Restart the server here with its old flavor and its old allocations."""
        c = self._c
        loaded = self._load_live(instance_uuid, migration_uuid)
        if loaded is None:
            return
        inst, mig = loaded
        c._notify(ctxt, inst, "resize_revert.start")
        try:
            with c._event(ctxt, instance_uuid, "finish_revert_resize"):
                inst = self._finish_revert(inst, mig)
        except Exception as exc:
            self._abort(ctxt, inst, mig, exc, "resize_revert", to_source=True)
            return
        c.tracker.refresh_usage()
        c._notify(ctxt, inst, "resize_revert.end")

    def _finish_revert(self, inst: Instance, mig: Migration) -> Instance:
        c = self._c
        old = inst.old_flavor or inst.flavor
        assert old is not None
        rb.give_back_or_fail(c.runtime, inst, mig)
        network.bind_to_host(c.runtime, inst.uuid, c.host)
        power_on = rb.old_vm_state(inst) != VmState.STOPPED
        c.driver.finish_revert_migration(c.guest(inst, old), power_on=power_on)
        self._transition(mig, _M.REVERTED)
        return self._settle(
            inst, VmState.ACTIVE if power_on else VmState.STOPPED,
            expected=(TaskState.RESIZE_REVERTING,), flavor=old, host=c.host,
            node=mig.source_node, launched_at=utcnow(),
            power_state=c.driver.get_power_state(inst.uuid), **instance_obj.flavor_columns(old))

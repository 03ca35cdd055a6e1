"""The RPC endpoint of a cell's conductor: work that stays inside the cell.

A build that fails on its host is retried here on the alternates the scheduler returned,
which are all in this cell, as Nova's cell conductor does.
"""

import logging
import warnings
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import oslo_messaging as messaging

from cirrus import exception
from cirrus.compute import rollback
from cirrus.compute.rpcapi import ComputeAPI
from cirrus.context import RequestContext
from cirrus.objects import instance as instance_obj
from cirrus.objects import migration as migration_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.states import VmState
from cirrus.runtime import Runtime

LOG = logging.getLogger(__name__)


class CellConductorManager:
    """Answers on the cell's ``conductor`` topic.

    Args:
        runtime: shared resources of the process.
        cell: the cell this conductor serves.
    """

    target = messaging.Target(version="1.1")

    def __init__(self, runtime: Runtime, cell: CellMapping) -> None:
        self._runtime = runtime
        self._cell = cell
        self._compute = ComputeAPI(runtime)

    def ping(self, ctxt: Any) -> str:
        """Liveness check used by ``cirrus-manage status``."""
        del ctxt
        return "pong"

    def build_instances(self, ctxt: RequestContext, instance_uuid: str,
                        alternates: list[dict[str, Any]], project_id: str, user_id: str,
                        reason: str = "", **build_args: Any) -> None:
        """Reschedule a failed build onto the first alternate that can still be claimed."""
        placement = self._runtime.placement
        for index, alt in enumerate(alternates):
            allocations = {rp: v["resources"]
                           for rp, v in alt["allocation_request"]["allocations"].items()}
            if not placement.put_allocations(instance_uuid, allocations, project_id, user_id):
                LOG.info("Alternate %s for %s is full", alt["service_host"], instance_uuid)
                continue
            LOG.info("Rescheduling %s to %s", instance_uuid, alt["service_host"])
            build_args["provider_mappings"] = alt.get("provider_mappings") or {}
            self._compute.build_and_run_instance(
                ctxt, self._cell, alt["service_host"], instance_uuid=instance_uuid,
                node=alt["nodename"], alternates=alternates[index + 1:], **build_args)
            return
        with self._runtime.cell_session(self._cell) as s:
            instance_obj.add_fault(
                s, instance_uuid, 500,
                "Exceeded maximum number of retries. Exhausted all hosts available for "
                f"retrying build failures for instance {instance_uuid}. Last exception: "
                f"{reason}", reason, None)
            instance_obj.set_fields(s, instance_uuid, vm_state=VmState.ERROR, task_state=None)

    def reschedule_resize(self, ctxt: RequestContext, instance_uuid: str,
                          migration_uuid: str, flavor: dict[str, Any],
                          alternates: list[dict[str, Any]], reason: str = "",
                          image: dict[str, Any] | None = None, **_ignored: Any) -> None:
        """Retry a move whose claim failed on the next alternate that can be claimed.

        The failed destination gave the source share back to the server; it moves to the
        migration consumer again before the alternate is claimed for the server.
        """
        runtime = self._runtime
        with runtime.cell_session(self._cell) as s:
            try:
                inst = instance_obj.get_by_uuid(s, instance_uuid)
                mig = migration_obj.get_by_uuid(s, migration_uuid)
            except (exception.InstanceNotFound, exception.MigrationNotFound):
                LOG.info("Server %s deleted while rescheduling its move", instance_uuid)
                runtime.placement.delete_allocations(migration_uuid)
                return
        placement = runtime.placement
        try:
            placement.move_allocations(inst.uuid, mig.uuid, inst.project_id or "",
                                       inst.user_id or "", target_new=True)
            for index, alt in enumerate(alternates):
                allocations = {rp: v["resources"]
                               for rp, v in alt["allocation_request"]["allocations"].items()}
                if not placement.put_allocations(inst.uuid, allocations, inst.project_id or "",
                                                 inst.user_id or "", new_consumer=True):
                    LOG.info("Alternate %s for %s is full", alt["service_host"], inst.uuid)
                    continue
                LOG.info("Rescheduling the move of %s to %s", inst.uuid, alt["service_host"])
                self._compute.prep_resize(
                    ctxt, self._cell, alt["service_host"], instance_uuid=inst.uuid,
                    migration_uuid=mig.uuid, flavor=flavor, node=alt["nodename"],
                    alternates=alternates[index + 1:], image=image)
                return
            error: Exception = exception.MaxRetriesExceeded(reason=(
                "Exhausted all hosts available for retrying build failures for instance "
                f"{inst.uuid}. Last exception: {reason}"))
        except Exception as exc:
            error = exc
        rollback.abort_move(runtime, self._cell, inst, mig, error, to_source=True,
                            vm_state=rollback.old_vm_state(inst))

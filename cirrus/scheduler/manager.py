"""select_destinations: Placement candidates, filters, weighers, then a claim per server."""

import logging
import warnings
from concurrent import futures
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import oslo_messaging as messaging

from cirrus import exception
from cirrus.context import RequestContext
from cirrus.objects.request_spec import RequestSpec
from cirrus.runtime import Runtime
from cirrus.scheduler import filters as filters_mod
from cirrus.scheduler import weighers as weighers_mod
from cirrus.scheduler.host_manager import HostManager, resources_from_flavor
from cirrus.scheduler.host_state import HostState

LOG = logging.getLogger(__name__)


def _restrict(hosts: list[HostState], spec: RequestSpec) -> list[HostState]:
    """Apply the per-request host restrictions before the filters run."""
    if spec.ignore_hosts:
        hosts = [h for h in hosts if h.host not in spec.ignore_hosts]
    if spec.force_hosts:
        hosts = [h for h in hosts if h.host in spec.force_hosts]
    dest = spec.requested_destination
    if dest is not None:
        if dest.host:
            hosts = [h for h in hosts if h.host == dest.host]
        if dest.node:
            hosts = [h for h in hosts if h.nodename == dest.node]
        if dest.cell_uuid:
            hosts = [h for h in hosts if h.cell_uuid == dest.cell_uuid]
        elif spec.source_cell_uuid and not dest.allow_cross_cell_move:
            hosts = [h for h in hosts if h.cell_uuid == spec.source_cell_uuid]
    return hosts


class SchedulerManager:
    """The scheduler's RPC endpoint."""

    target = messaging.Target(version="4.5")

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        conf = runtime.conf
        self._pool = futures.ThreadPoolExecutor(8, thread_name_prefix="scheduler-cells")
        self._hosts = HostManager(runtime, self._pool)
        self._filters = filters_mod.load_filters(conf.filter_scheduler.enabled_filters)
        self._weighers = weighers_mod.load_weighers(
            conf.filter_scheduler.weight_classes, conf.filter_scheduler)

    def select_destinations(
        self, ctxt: RequestContext, spec: dict[str, Any], instance_uuids: list[str],
        return_alternates: bool = True,
    ) -> list[list[dict[str, Any]]]:
        """Choose and claim a host for each server; alternates come from the same cell.

        Raises:
            NoValidHost: nothing fits.
        """
        request = RequestSpec.from_dict(spec)
        conf = self._runtime.conf
        placement = self._runtime.placement
        resources = resources_from_flavor(request.flavor, request.is_bfv)
        alloc_reqs, summaries = placement.allocation_candidates(
            resources, conf.scheduler.max_placement_results)
        if not alloc_reqs:
            raise exception.NoValidHost(reason="There are not enough hosts available.")
        by_rp = {next(iter(ar["allocations"])): ar for ar in alloc_reqs
                 if len(ar["allocations"]) == 1}
        needs_instances = bool(request.scheduler_hints or request.instance_group)
        hosts = self._hosts.get_host_states(ctxt, summaries, with_instances=needs_instances)
        hosts = _restrict([h for h in hosts if h.uuid in by_rp], request)
        if request.force_hosts:
            # As in Nova, a host forced by an admin skips the filters.
            passed, report = hosts, filters_mod.run_filters([], hosts, request)[1]
        else:
            passed, report = filters_mod.run_filters(self._filters, hosts, request)
        if not passed:
            raise exception.NoValidHost(reason=report.message())
        weighed = [w.host for w in weighers_mod.weigh_hosts(self._weighers, passed, request)]
        max_alts = conf.scheduler.max_attempts - 1 if return_alternates else 0
        return [self._claim_one(uuid, request, weighed, by_rp, max_alts)
                for uuid in instance_uuids]

    def _claim_one(self, uuid: str, request: RequestSpec, weighed: list[HostState],
                   by_rp: dict[str, Any], max_alts: int) -> list[dict[str, Any]]:
        placement = self._runtime.placement
        for host in weighed:
            alloc = by_rp[host.uuid]["allocations"]
            allocations = {rp: v["resources"] for rp, v in alloc.items()}
            if placement.put_allocations(uuid, allocations, request.project_id,
                                         request.user_id, new_consumer=True):
                alternates = [h for h in weighed if h is not host
                              and h.cell_uuid == host.cell_uuid][:max_alts]
                return [_selection(host, by_rp[host.uuid])] + [
                    _selection(h, by_rp[h.uuid]) for h in alternates]
            LOG.info("Claim of %s on %s refused; trying the next host", uuid, host.host)
        raise exception.NoValidHost(reason="Unable to claim resources on any host.")


def _selection(host: HostState, alloc_req: dict[str, Any]) -> dict[str, Any]:
    return {
        "service_host": host.host, "nodename": host.nodename,
        "compute_node_uuid": host.uuid, "cell_uuid": host.cell_uuid,
        "allocation_request": alloc_req, "allocation_request_version": "1.39",
    }

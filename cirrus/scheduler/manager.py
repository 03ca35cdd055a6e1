"""select_destinations: Placement candidates, filters, weighers, then a claim per server."""

import dataclasses
import logging
import warnings
from concurrent import futures
from typing import Any

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import oslo_messaging as messaging

from cirrus import exception
from cirrus.context import RequestContext
from cirrus.objects.request_spec import GroupInfo, RequestSpec
from cirrus.placement_client.client import requester_of
from cirrus.runtime import Runtime
from cirrus.scheduler import filters as filters_mod
from cirrus.scheduler import weighers as weighers_mod
from cirrus.scheduler.batch import Batcher, Pending
from cirrus.scheduler.host_manager import HostManager, resources_from_flavor
from cirrus.scheduler.host_state import HostState

LOG = logging.getLogger(__name__)


def _cell_restriction(spec: RequestSpec) -> str | None:
    """The one cell ``spec`` may land in, or None when any enabled cell will do.

    A requested cell binds only when the move may not cross cells; when it may, that cell
    is the source cell and only preferred (CrossCellWeigher). A move that may not cross
    cells and names no cell stays in its source cell.
    """
    dest = spec.requested_destination
    if dest is None or dest.allow_cross_cell_move:
        return None
    return dest.cell_uuid or spec.source_cell_uuid


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
    cell_uuid = _cell_restriction(spec)
    if cell_uuid:
        hosts = [h for h in hosts if h.cell_uuid == cell_uuid]
    return hosts


class GroupPlacements:
    """The server groups of one batch, kept current as the batch places its servers.

    Args:
        groups: each group as the host manager read it, by uuid.
    """

    def __init__(self, groups: dict[str, GroupInfo]) -> None:
        self._groups = dict(groups)
        self._placed: dict[str, tuple[str, str]] = {}
        """Server uuid -> (group uuid, host) for the servers this batch has placed."""

    def spec_for(self, request: RequestSpec, uuid: str) -> RequestSpec:
        """``request`` for server ``uuid``, with its group as it stands now.

        A group that no longer exists is dropped: its former members are unconstrained.
        """
        group = request.instance_group
        if group is None:
            return request.replace(instance_uuid=uuid)
        current = self._groups.get(group.uuid)
        if current is None:
            return request.replace(instance_uuid=uuid, instance_group=None)
        placed = {member: host for member, (in_group, host) in self._placed.items()
                  if in_group == group.uuid}
        member_hosts = {**current.member_hosts, **placed}
        members = (*current.members, *(m for m in placed if m not in current.members))
        hosts = tuple(sorted({host for member, host in member_hosts.items() if member != uuid}))
        return request.replace(instance_uuid=uuid, instance_group=dataclasses.replace(
            current, members=members, member_hosts=member_hosts, hosts=hosts))

    def place(self, request: RequestSpec, uuid: str, host: str) -> None:
        """Record that the batch put server ``uuid`` of ``request``'s group on ``host``."""
        if request.instance_group is not None:
            self._placed[uuid] = (request.instance_group.uuid, host)

    def forget(self, uuids: list[str]) -> None:
        """Undo :meth:`place` for servers whose request failed to schedule."""
        for uuid in uuids:
            self._placed.pop(uuid, None)


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
        self._batcher = Batcher(self._schedule_batch)

    def select_destinations(
        self, ctxt: RequestContext, spec: dict[str, Any], instance_uuids: list[str],
        return_alternates: bool = True,
    ) -> list[list[dict[str, Any]]]:
        """Choose and claim a host for each server; alternates come from the same cell.

        Concurrent calls are scheduled together (cirrus.scheduler.batch).

        Raises:
            NoValidHost: nothing fits.
        """
        request = RequestSpec.from_dict(spec)
        max_alts = self._runtime.conf.scheduler.max_attempts - 1 if return_alternates else 0
        return self._batcher.submit(Pending(ctxt, request, instance_uuids, max_alts))

    def _schedule_batch(self, batch: list[Pending]) -> None:
        server_groups = self._server_groups(batch)
        if server_groups is None:
            return
        groups: dict[tuple[Any, ...], list[Pending]] = {}
        for pending in batch:
            if pending.future.done():
                continue
            res = resources_from_flavor(pending.request.flavor, pending.request.is_bfv)
            # Requests with port groups share a query only with the same ports (never).
            key = (tuple(sorted(res.items())),
                   tuple(repr(g) for g in pending.request.requested_resources),
                   pending.request.same_subtree)
            groups.setdefault(key, []).append(pending)
        for key, group in groups.items():
            self._schedule_group(dict(key[0]), group, server_groups)

    def _server_groups(self, batch: list[Pending]) -> GroupPlacements | None:
        """The server groups the batch names, read now rather than trusted from the specs.

        When they cannot be read, the requests in a group fail (their placement could
        break the group's policy) and the others go on; None when nothing is left.
        """
        named = {p.request.instance_group.uuid for p in batch if p.request.instance_group}
        if not named:
            return GroupPlacements({})
        pending = {uuid for p in batch for uuid in p.instance_uuids}
        try:
            return GroupPlacements(self._hosts.server_groups(batch[0].ctxt, named, pending))
        except Exception as exc:
            LOG.exception("Could not read server groups %s", ", ".join(sorted(named)))
            for p in batch:
                if p.request.instance_group is not None:
                    p.future.set_exception(exception.NoValidHost(
                        reason=f"Server group {p.request.instance_group.uuid} could not be "
                               f"read: {exc}"))
            return None if all(p.future.done() for p in batch) else GroupPlacements({})

    def _schedule_group(self, resources: dict[str, int], group: list[Pending],
                        server_groups: GroupPlacements) -> None:
        placement = self._runtime.placement
        request = group[0].request
        alloc_reqs, summaries = placement.allocation_candidates(
            resources, self._runtime.conf.scheduler.max_placement_results,
            groups=request.requested_resources, same_subtree=request.same_subtree)
        by_rp = _by_root(alloc_reqs, summaries)
        if not by_rp:
            for pending in group:
                pending.future.set_exception(exception.NoValidHost(
                    reason="There are not enough hosts available."))
            return
        needs = any(p.request.scheduler_hints or p.request.instance_group for p in group)
        states = {h.uuid: h for h in self._hosts.get_host_states(
            group[0].ctxt, summaries, with_instances=needs,
            only_cells=_required_cells(group)) if h.uuid in by_rp}
        plans: list[tuple[Pending, list[tuple[str, HostState, list[HostState]]]]] = []
        for pending in group:
            try:
                plans.append((pending, self._plan(pending, states, resources, server_groups)))
            except exception.NoValidHost as exc:
                pending.future.set_exception(exc)
        claims = {uuid: (_allocations(by_rp, host), p.request.project_id, p.request.user_id)
                  for p, picks in plans for uuid, host, _ in picks}
        if claims and placement.put_new_consumers(claims):
            for pending, picks in plans:
                pending.future.set_result([_selections(host, weighed, by_rp,
                                                       pending.max_alternates)
                                           for _, host, weighed in picks])
            return
        for pending, picks in plans:
            # The batch lost a race (or a host filled up): claim one at a time.
            try:
                pending.future.set_result([
                    self._claim_one(uuid, pending.request, weighed, by_rp,
                                    pending.max_alternates)
                    for uuid, _, weighed in picks])
            except Exception as exc:
                pending.future.set_exception(exc)

    def _plan(self, pending: Pending, states: dict[str, HostState], resources: dict[str, int],
              server_groups: GroupPlacements,
              ) -> list[tuple[str, HostState, list[HostState]]]:
        """Pick a host per server, consuming from ``states`` so later picks see it.

        Each server is filtered on its own, so that a server group sees the servers of
        the batch placed before it.
        """
        picks = []
        try:
            for index, uuid in enumerate(pending.instance_uuids):
                request = server_groups.spec_for(pending.request, uuid)
                weighed = self._weighed(request, list(states.values()), index)
                host = next((h for h in weighed if _fits(states[h.uuid], resources)), None)
                if host is None:
                    raise exception.NoValidHost(
                        reason="There are not enough hosts available.")
                states[host.uuid] = _consume(states[host.uuid], resources, uuid)
                server_groups.place(request, uuid, host.host)
                picks.append((uuid, host, weighed))
        except exception.NoValidHost:
            server_groups.forget(pending.instance_uuids)
            raise
        return picks

    def _weighed(self, request: RequestSpec, hosts: list[HostState],
                 index: int) -> list[HostState]:
        """The hosts that pass the filters for the ``index``-th server, best first."""
        hosts = _restrict(hosts, request)
        if request.force_hosts:
            # As in Nova, a host forced by an admin skips the filters.
            passed, report = hosts, filters_mod.run_filters([], hosts, request)[1]
        else:
            passed, report = filters_mod.run_filters(self._filters, hosts, request, index)
        if not passed:
            raise exception.NoValidHost(reason=report.message())
        return [w.host for w in weighers_mod.weigh_hosts(self._weighers, passed, request)]

    def _claim_one(self, uuid: str, request: RequestSpec, weighed: list[HostState],
                   by_rp: dict[str, Any], max_alts: int) -> list[dict[str, Any]]:
        placement = self._runtime.placement
        for host in weighed:
            if placement.put_allocations(uuid, _allocations(by_rp, host), request.project_id,
                                         request.user_id, new_consumer=True):
                return _selections(host, weighed, by_rp, max_alts)
            LOG.info("Claim of %s on %s refused; trying the next host", uuid, host.host)
        raise exception.NoValidHost(reason="Unable to claim resources on any host.")

    def stop(self) -> None:
        """Stop the batch worker."""
        self._batcher.stop()


def _required_cells(group: list[Pending]) -> frozenset[str] | None:
    """The cells a batch may land in, when every request is bound to one (a move).

    Uses the same rule as :func:`_restrict`, so no cell a request may use goes unread.
    """
    cells = set()
    for pending in group:
        cell_uuid = _cell_restriction(pending.request)
        if not cell_uuid:
            return None
        cells.add(cell_uuid)
    return frozenset(cells)


def _by_root(alloc_reqs: list[dict[str, Any]],
             summaries: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The first allocation request of each compute node (the root of its providers).

    A request with port groups also allocates from the node's bandwidth children, and a
    node may offer several such combinations; Placement's first one is taken, as Nova
    takes the first candidate of a host.
    """
    by_root: dict[str, dict[str, Any]] = {}
    for ar in alloc_reqs:
        roots = {summaries.get(rp, {}).get("root_provider_uuid", rp) for rp in ar["allocations"]}
        if len(roots) == 1:
            by_root.setdefault(roots.pop(), ar)
    return by_root


def provider_mappings(alloc_req: dict[str, Any]) -> dict[str, list[str]]:
    """Requester id -> provider uuids of an allocation request's port groups."""
    found = {requester_of(suffix): list(rps)
             for suffix, rps in (alloc_req.get("mappings") or {}).items()}
    return {requester: rps for requester, rps in found.items() if requester is not None}


def _allocations(by_rp: dict[str, Any], host: HostState) -> dict[str, dict[str, int]]:
    alloc = by_rp[host.uuid]["allocations"]
    return {rp: v["resources"] for rp, v in alloc.items()}


def _fits(host: HostState, resources: dict[str, int]) -> bool:
    return (resources.get("VCPU", 0) <= host.free_vcpus
            and resources.get("MEMORY_MB", 0) <= host.free_ram_mb
            and resources.get("DISK_GB", 0) * 1024 <= host.free_disk_mb)


def _consume(host: HostState, resources: dict[str, int], uuid: str) -> HostState:
    return dataclasses.replace(
        host, vcpus_used=host.vcpus_used + resources.get("VCPU", 0),
        free_ram_mb=host.free_ram_mb - resources.get("MEMORY_MB", 0),
        free_disk_mb=host.free_disk_mb - resources.get("DISK_GB", 0) * 1024,
        num_instances=host.num_instances + 1, instances=host.instances | {uuid})


def _selections(host: HostState, weighed: list[HostState], by_rp: dict[str, Any],
                max_alts: int) -> list[dict[str, Any]]:
    alternates = [h for h in weighed if h is not host
                  and h.cell_uuid == host.cell_uuid][:max_alts]
    return [_selection(h, by_rp[h.uuid]) for h in (host, *alternates)]


def _selection(host: HostState, alloc_req: dict[str, Any]) -> dict[str, Any]:
    return {
        "service_host": host.host, "nodename": host.nodename,
        "compute_node_uuid": host.uuid, "cell_uuid": host.cell_uuid,
        "allocation_request": alloc_req, "allocation_request_version": "1.39",
        "provider_mappings": provider_mappings(alloc_req),
    }

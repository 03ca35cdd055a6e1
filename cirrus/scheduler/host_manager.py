"""Builds HostStates from the cells' compute nodes, services, aggregates and Placement."""

import logging
import math
from collections.abc import Collection, Iterable
from typing import Any

from cirrus import exception
from cirrus.context import CellFailure, RequestContext, scatter_gather
from cirrus.objects import compute_node as cn_obj
from cirrus.objects import host_mapping as hm_obj
from cirrus.objects import instance as instance_obj
from cirrus.objects import instance_group as ig_obj
from cirrus.objects import instance_mapping as im_obj
from cirrus.objects import service as service_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.request_spec import GroupInfo
from cirrus.runtime import Runtime
from cirrus.scheduler.host_state import AggregateInfo, HostState

LOG = logging.getLogger(__name__)


def resources_from_flavor(flavor: FlavorSpec, is_bfv: bool) -> dict[str, int]:
    """The Placement resources a server of ``flavor`` consumes."""
    disk = flavor.ephemeral_gb + math.ceil(flavor.swap / 1024)
    if not is_bfv:
        disk += flavor.root_gb
    return {"VCPU": flavor.vcpus, "MEMORY_MB": flavor.memory_mb, "DISK_GB": disk}


def _free(summary: dict[str, Any], rc: str) -> tuple[int, int]:
    res = summary.get("resources", {}).get(rc)
    if not res:
        return 0, 0
    return int(res["capacity"]), int(res["used"])


class HostManager:
    """Reads the state of every compute node for one scheduling request."""

    def __init__(self, runtime: Runtime, pool: Any) -> None:
        self._runtime = runtime
        self._pool = pool

    def _cell_nodes(
        self, ctx: RequestContext, cells: list[CellMapping], with_instances: bool
    ) -> dict[str, Any]:
        down_time = self._runtime.conf.service_down_time

        def _read(cctx: RequestContext) -> list[tuple[Any, Any, set[str]]]:
            assert cctx.cell is not None
            # A reader: scheduling must not queue behind a cell's writers (SQLite).
            with self._runtime.cell_reader(cctx.cell) as s:
                nodes = cn_obj.get_all(s)
                services = {sv.host: sv for sv in service_obj.get_all(s, "cirrus-compute")}
                on_hosts = (instance_obj.uuids_on_hosts(s, [n.host for n in nodes])
                            if with_instances else {})
            return [(n, services.get(n.host), on_hosts.get(n.host, set())) for n in nodes]

        return scatter_gather(ctx, cells, float(down_time), _read, self._pool)

    def get_host_states(
        self,
        ctx: RequestContext,
        summaries: dict[str, Any],
        *,
        with_instances: bool = False,
        only_cells: frozenset[str] | None = None,
    ) -> list[HostState]:
        """HostStates of the nodes that appear in ``summaries`` (Placement's view).

        Args:
            only_cells: read only these cells (a move that must stay in its cell).
        """
        conf = self._runtime.conf
        cells = [c for c in self._runtime.cells() if not c.is_cell0 and not c.disabled
                 and (only_cells is None or c.uuid in only_cells)]
        aggs = self._runtime.aggregates()
        per_cell = self._cell_nodes(ctx, cells, with_instances)
        states: list[HostState] = []
        for cell in cells:
            rows = per_cell.get(cell.uuid)
            if not isinstance(rows, list):
                continue
            for node, service, uuids in rows:
                if node.uuid not in summaries:
                    continue
                states.append(self._state(cell, node, service, uuids, summaries[node.uuid],
                                          aggs, conf.default_availability_zone,
                                          conf.service_down_time))
        return states

    @staticmethod
    def _state(cell: CellMapping, node: Any, service: Any, uuids: Iterable[str],
               summary: dict[str, Any], aggs: list[hm_obj.Aggregate], default_az: str,
               down_time: int) -> HostState:
        vcpu_cap, vcpu_used = _free(summary, "VCPU")
        ram_cap, ram_used = _free(summary, "MEMORY_MB")
        disk_cap, disk_used = _free(summary, "DISK_GB")
        host_aggs = tuple(AggregateInfo(a.name, dict(a.metadata)) for a in aggs
                          if node.host in a.hosts)
        return HostState(
            host=node.host, nodename=node.hypervisor_hostname, uuid=node.uuid,
            cell_uuid=cell.uuid, cell_name=cell.name,
            service_up=bool(service and service.is_up(down_time)),
            service_disabled=bool(service and service.disabled),
            service_disabled_reason=service.disabled_reason if service else None,
            availability_zone=hm_obj.zone_of(aggs, node.host, default_az),
            aggregates=host_aggs, hypervisor_type=node.hypervisor_type,
            hypervisor_version=node.hypervisor_version,
            supported_instances=(("x86_64", node.hypervisor_type, "hvm"),),
            vcpus_total=vcpu_cap, vcpus_used=vcpu_used, cpu_allocation_ratio=1.0,
            total_usable_ram_mb=ram_cap, free_ram_mb=ram_cap - ram_used,
            total_usable_disk_gb=disk_cap, free_disk_mb=(disk_cap - disk_used) * 1024,
            num_instances=node.running_vms, instances=frozenset(uuids),
        )

    # -- server groups -----------------------------------------------------------------

    def server_groups(self, ctx: RequestContext, group_uuids: Iterable[str],
                      pending: Collection[str] = ()) -> dict[str, GroupInfo]:
        """Each group as it stands now, with the host of every member that is on one.

        A member is on the host its row says in the cell its instance mapping points to,
        so a server half-way through a cross-cell move counts once, where its mapping
        is. A member with no cell yet was placed by an earlier request whose conductor
        has not created it in its cell: its Placement allocation says where.

        Args:
            group_uuids: the groups the requests name.
            pending: servers being scheduled now; those not yet in a cell are on no host.

        Returns:
            The groups by uuid; a group deleted since the request was made is absent,
            and constrains nothing.
        """
        groups: dict[str, ig_obj.ServerGroup] = {}
        with self._runtime.api_reader() as s:
            for uuid in set(group_uuids):
                try:
                    groups[uuid] = ig_obj.get(s, uuid)
                except exception.InstanceGroupNotFound:
                    LOG.info("Server group %s is gone; its members are unconstrained", uuid)
            members = {m for g in groups.values() for m in g.members}
            mappings = im_obj.get_many(s, members)
        placed = self.member_hosts(ctx, mappings, pending)
        return {uuid: GroupInfo(uuid=uuid, policy=g.policy, members=g.members,
                                rules=dict(g.rules),
                                member_hosts={m: placed[m] for m in g.members if m in placed})
                for uuid, g in groups.items()}

    def member_hosts(self, ctx: RequestContext, mappings: Iterable[im_obj.InstanceMapping],
                     pending: Collection[str] = ()) -> dict[str, str]:
        """Server uuid -> its host, for the mapped servers that are on a host now."""
        by_cell: dict[int, list[str]] = {}
        claimed: list[str] = []
        for mapping in mappings:
            if mapping.queued_for_delete:
                continue
            if mapping.cell_id is None:
                # Servers being scheduled now hold no allocation worth asking about.
                if mapping.instance_uuid not in pending:
                    claimed.append(mapping.instance_uuid)
            else:
                by_cell.setdefault(mapping.cell_id, []).append(mapping.instance_uuid)
        cells = [c for c in (self._runtime.cell_by_id(i) for i in by_cell) if not c.is_cell0]

        def _read(cctx: RequestContext) -> dict[str, str | None]:
            assert cctx.cell is not None
            with self._runtime.cell_reader(cctx.cell) as s:
                return instance_obj.hosts_of(s, by_cell[cctx.cell.id])

        found = scatter_gather(ctx, cells, float(self._runtime.conf.service_down_time),
                               _read, self._pool)
        hosts: dict[str, str] = {}
        for cell_uuid, got in found.items():
            if isinstance(got, CellFailure):
                # As for host states, a cell that does not answer is left out.
                LOG.warning("Cell %s did not say where its group members are", cell_uuid)
                continue
            hosts.update({uuid: host for uuid, host in got.items() if host})
        hosts.update(self._claimed_hosts(ctx, claimed))
        return hosts

    def _claimed_hosts(self, ctx: RequestContext, uuids: list[str]) -> dict[str, str]:
        """Where Placement holds the allocations of servers not yet created in a cell."""
        providers: dict[str, str] = {}
        for uuid in uuids:
            allocations, _ = self._runtime.placement.get_allocations(uuid)
            providers.update(dict.fromkeys(allocations, uuid))
        if not providers:
            return {}
        cells = [c for c in self._runtime.cells() if not c.is_cell0]

        def _read(cctx: RequestContext) -> dict[str, str]:
            assert cctx.cell is not None
            with self._runtime.cell_reader(cctx.cell) as s:
                return {n.uuid: n.host for n in cn_obj.get_all(s) if n.uuid in providers}

        found = scatter_gather(ctx, cells, float(self._runtime.conf.service_down_time),
                               _read, self._pool)
        return {providers[rp]: host for got in found.values()
                if not isinstance(got, CellFailure) for rp, host in got.items()}

"""Builds HostStates from the cells' compute nodes, services, aggregates and Placement."""

import math
from collections.abc import Iterable
from typing import Any

from cirrus.context import RequestContext, scatter_gather
from cirrus.objects import compute_node as cn_obj
from cirrus.objects import host_mapping as hm_obj
from cirrus.objects import instance as instance_obj
from cirrus.objects import service as service_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.runtime import Runtime
from cirrus.scheduler.host_state import AggregateInfo, HostState


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
            with self._runtime.cell_session(cctx.cell) as s:
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

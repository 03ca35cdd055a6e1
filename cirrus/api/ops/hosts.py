"""Services, compute nodes and zones gathered from every cell, for the admin host APIs."""

import dataclasses
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from cirrus.api.common import APIState
from cirrus.context import CellFailure, RequestContext, scatter_gather
from cirrus.objects import compute_node as node_obj
from cirrus.objects import host_mapping
from cirrus.objects import service as service_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.compute_node import ComputeNode
from cirrus.objects.service import Service

T = TypeVar("T")

COMPUTE_BINARY = "cirrus-compute"
# Nova's [DEFAULT]internal_service_availability_zone: the zone of every service that
# is not a compute.
INTERNAL_ZONE = "internal"
# API-tier processes do not heartbeat, so they would always look down (Nova bug 1543625).
API_BINARIES = frozenset({"cirrus-api", "cirrus-metadata"})


def is_compute(svc: Service) -> bool:
    """Whether a service is a compute (it then lives in an availability zone)."""
    return svc.binary == COMPUTE_BINARY or svc.topic == "compute"


@dataclasses.dataclass(frozen=True)
class Gathered(Generic[T]):
    """Per-cell results; cells that failed or timed out are listed apart."""

    items: list[tuple[CellMapping, T]]
    down: list[CellMapping]


def _gather(state: APIState, ctx: RequestContext,
            read: Callable[[Session], list[T]]) -> Gathered[T]:
    runtime = state.runtime
    cells = runtime.cells()

    def _one(cctx: RequestContext) -> list[T]:
        assert cctx.cell is not None
        with runtime.cell_session(cctx.cell) as s:
            return read(s)

    results = scatter_gather(ctx, cells, float(runtime.conf.api.list_cell_timeout), _one,
                             state.pool)
    items: list[tuple[CellMapping, T]] = []
    down: list[CellMapping] = []
    # Keep the cells' own order (cell0 first) rather than the order they answered in.
    for cell in cells:
        result = results.get(cell.uuid)
        if result is None or isinstance(result, CellFailure):
            down.append(cell)
            continue
        items.extend((cell, item) for item in result)
    return Gathered(items, down)


def services(state: APIState, ctx: RequestContext) -> Gathered[Service]:
    """Every live service of every cell, API-tier binaries left out."""
    gathered = _gather(state, ctx, service_obj.get_all)
    return Gathered([(c, sv) for c, sv in gathered.items if sv.binary not in API_BINARIES],
                    gathered.down)


def compute_nodes(state: APIState, ctx: RequestContext) -> Gathered[ComputeNode]:
    """Every live compute node of every cell, in cell then id order."""
    return _gather(state, ctx, node_obj.get_all)


def mapped_hosts(state: APIState, cell: CellMapping) -> list[str]:
    """Compute hosts mapped to ``cell`` (what is known of a cell that does not answer)."""
    with state.runtime.api_session() as s:
        return sorted(h for h, cell_id in host_mapping.all_hosts(s).items()
                      if cell_id == cell.id)


def host_zones(state: APIState) -> dict[str, str]:
    """Host -> its zone(s) from the aggregates; several zones are comma-joined as in Nova."""
    with state.runtime.api_session() as s:
        aggregates = host_mapping.aggregates(s)
    zones: dict[str, set[str]] = {}
    for agg in aggregates:
        if agg.availability_zone:
            for host in agg.hosts:
                zones.setdefault(host, set()).add(agg.availability_zone)
    return {host: ",".join(sorted(names)) for host, names in zones.items()}


def zone_of(svc: Service, zones: dict[str, str], default_zone: str) -> str:
    """A service's zone: its host's aggregate zone, the default zone, or ``internal``."""
    if not is_compute(svc):
        return INTERNAL_ZONE
    return zones.get(svc.host, default_zone)

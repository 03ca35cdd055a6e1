"""Project usage gathered from every cell, for quotas and limits."""

import dataclasses

from cirrus.api.common import APIState
from cirrus.context import CellFailure, RequestContext, scatter_gather
from cirrus.objects import build_request as br_obj
from cirrus.objects import instance as instance_obj


@dataclasses.dataclass(frozen=True)
class Usage:
    """What a project's live servers use."""

    instances: int
    cores: int
    ram: int


def project_usage(state: APIState, ctx: RequestContext, project_id: str) -> Usage:
    """Usage across cells plus servers still waiting in build requests."""
    runtime = state.runtime

    def _count(cctx: RequestContext) -> tuple[int, int, int]:
        assert cctx.cell is not None
        with runtime.cell_reader(cctx.cell) as s:
            return instance_obj.count_by_project(s, project_id)

    results = scatter_gather(ctx, runtime.cells(), float(runtime.conf.api.list_cell_timeout),
                             _count, state.pool)
    instances = cores = ram = 0
    for value in results.values():
        if isinstance(value, CellFailure):
            continue
        instances, cores, ram = instances + value[0], cores + value[1], ram + value[2]
    with runtime.api_reader() as s:
        for br in br_obj.get_all(s, project_id):
            instances += 1
            cores += int(br.instance.get("vcpus") or 0)
            ram += int(br.instance.get("memory_mb") or 0)
    return Usage(instances, cores, ram)

"""Project usage gathered from every cell, for quotas and limits."""

import dataclasses

from cirrus.api.common import APIState
from cirrus.context import CellFailure, RequestContext, scatter_gather
from cirrus.objects import build_request as br_obj
from cirrus.objects import instance_usage as usage_obj


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
            return usage_obj.count_by_project(s, project_id)

    results = scatter_gather(ctx, runtime.cells(), float(runtime.conf.api.list_cell_timeout),
                             _count, state.pool)
    instances = cores = ram = 0
    for value in results.values():
        if isinstance(value, CellFailure):
            continue
        instances, cores, ram = instances + value[0], cores + value[1], ram + value[2]
    with runtime.api_reader() as s:
        pending = br_obj.usage(s, project_id)
    return Usage(instances + pending[0], cores + pending[1], ram + pending[2])

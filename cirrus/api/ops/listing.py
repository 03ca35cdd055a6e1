"""Server lists gathered from every cell in parallel; a cell that is down is left out."""

import dataclasses
import datetime
import re
from typing import Any

from cirrus import exception
from cirrus.api.common import APIState
from cirrus.context import CellFailure, RequestContext, scatter_gather
from cirrus.objects import build_request as br_obj
from cirrus.objects import instance as instance_obj
from cirrus.objects import instance_mapping as im_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.instance import Instance


@dataclasses.dataclass(frozen=True)
class ListQuery:
    """Validated list parameters."""

    project_id: str | None
    name: str | None = None
    status_states: tuple[tuple[str, str | None], ...] | None = None
    host: str | None = None
    changes_since: datetime.datetime | None = None
    changes_before: datetime.datetime | None = None
    deleted: bool = False
    limit: int = 1000
    marker: str | None = None
    exact: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Listed:
    """A page of servers plus the ids of servers in cells that did not answer."""

    servers: list[tuple[CellMapping | None, Instance, bool]]
    """(cell, server, is a build request)."""
    down: list[im_obj.InstanceMapping]


def build_request_instance(br: br_obj.BuildRequest) -> Instance:
    """A server still in a build request, shaped like a cell row for the views."""
    values = {k: v for k, v in br.instance.items() if k in _FIELDS}
    flavor = br.instance.get("flavor")
    return Instance(
        id=0, uuid=br.instance_uuid, power_state=0, locked=False, hidden=False,
        created_at=br.created_at, deleted=0, tags=list(br.tags),
        metadata=dict(br.instance.get("metadata") or {}),
        flavor=FlavorSpec.from_dict(flavor) if flavor else None, **values)


_FIELDS = {f.name for f in dataclasses.fields(Instance)} - {
    "id", "uuid", "power_state", "locked", "hidden", "created_at", "deleted", "flavor",
    "old_flavor", "new_flavor", "metadata", "system_metadata", "tags", "fault", "network_info",
    "volumes", "updated_at"}


def list_servers(state: APIState, ctx: RequestContext, query: ListQuery) -> Listed:
    """Servers matching ``query``, newest first, one page."""
    runtime = state.runtime
    name_re = _compile(query.name)
    filters = instance_obj.Filters(
        project_id=query.project_id, host=query.host,
        states=query.status_states, changes_since=query.changes_since,
        changes_before=query.changes_before, deleted=query.deleted, exact=query.exact)
    cells = runtime.cells()

    def _fetch(cctx: RequestContext) -> list[Instance]:
        assert cctx.cell is not None
        with runtime.cell_reader(cctx.cell) as s:
            return instance_obj.get_all(s, filters)

    results = scatter_gather(ctx, cells, float(runtime.conf.api.list_cell_timeout), _fetch,
                             state.pool)
    rows: list[tuple[CellMapping | None, Instance, bool]] = []
    down_cells = []
    for cell in cells:
        got = results.get(cell.uuid)
        if isinstance(got, CellFailure) or got is None:
            down_cells.append(cell)
            continue
        rows.extend((cell, inst, False) for inst in got)
    rows = _one_per_server(state, rows)
    if _wants_build_requests(query):
        rows.extend(_build_requests(state, query))
    if name_re is not None:
        rows = [r for r in rows if name_re.search(r[1].display_name or "")]
    rows.sort(key=lambda r: (r[1].created_at, r[1].uuid), reverse=True)
    rows = _page(rows, query)
    return Listed(rows, _down_mappings(state, query, down_cells))


def _one_per_server(state: APIState, rows: list[tuple[CellMapping | None, Instance, bool]],
                    ) -> list[tuple[CellMapping | None, Instance, bool]]:
    """Drop the copy a cross-cell switch-over has not hidden yet: the mapping decides."""
    seen: dict[str, int] = {}
    twice: set[str] = set()
    for _, inst, _ in rows:
        seen[inst.uuid] = seen.get(inst.uuid, 0) + 1
        if seen[inst.uuid] > 1:
            twice.add(inst.uuid)
    if not twice:
        return rows
    with state.runtime.api_reader() as s:
        owner = {uuid: im_obj.get(s, uuid).cell_id for uuid in twice}
    return [r for r in rows if r[1].uuid not in twice
            or (r[0] is not None and r[0].id == owner[r[1].uuid])]


def _wants_build_requests(query: ListQuery) -> bool:
    # Pending servers are BUILD, on no host, never deleted.
    if query.deleted or query.host is not None:
        return False
    if query.status_states is None:
        return True
    return any(vm == "building" for vm, _ in query.status_states)


def _build_requests(state: APIState,
                    query: ListQuery) -> list[tuple[CellMapping | None, Instance, bool]]:
    with state.runtime.api_reader() as s:
        brs = br_obj.get_all(s, query.project_id)
    return [(None, build_request_instance(br), True) for br in brs]


def _page(rows: list[Any], query: ListQuery) -> list[Any]:
    if query.marker is not None:
        index = next((i for i, r in enumerate(rows) if r[1].uuid == query.marker), None)
        if index is None:
            raise exception.Invalid(f"marker [{query.marker}] not found")
        rows = rows[index + 1:]
    return rows[: query.limit]


def _down_mappings(state: APIState, query: ListQuery,
                   down: list[CellMapping]) -> list[im_obj.InstanceMapping]:
    if not down:
        return []
    ids = {c.id for c in down}
    with state.runtime.api_session() as s:
        return [m for m in im_obj.by_project(s, query.project_id) if m.cell_id in ids]


def _compile(name: str | None) -> re.Pattern[str] | None:
    if name is None:
        return None
    try:
        return re.compile(name)
    except re.error:
        return re.compile(re.escape(name))

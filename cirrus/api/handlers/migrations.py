"""/os-migrations and /servers/{id}/migrations: migrations gathered from every cell."""

from typing import Any

import falcon

from cirrus import exception
from cirrus.api import common
from cirrus.api.common import APIState, ctx_of, version_of
from cirrus.api.microversion import Version
from cirrus.api.schemas import migrations as schemas
from cirrus.api.schemas.query import (
    last,
    parse_isotime,
    query_validator,
    strict_bool,
    validate_query,
)
from cirrus.api.views import migrations as views
from cirrus.api.views import paging
from cirrus.context import CellFailure, RequestContext, scatter_gather
from cirrus.objects import migration as migration_obj
from cirrus.objects import move_journal as journal_obj
from cirrus.objects.migration import Migration
from cirrus.objects.states import MigrationStatus
from cirrus.policy.rules import compute as rules

_QUERY = [((2, 80), query_validator(schemas.INDEX_QUERY_V2_80)),
          ((2, 66), query_validator(schemas.INDEX_QUERY_V2_66)),
          ((2, 59), query_validator(schemas.INDEX_QUERY_V2_59)),
          ((2, 1), query_validator(schemas.INDEX_QUERY_V2_1))]


def _own(ctx: RequestContext) -> dict[str, Any]:
    return {"project_id": ctx.project_id, "user_id": ctx.user_id}


def _project_scope(state: APIState, ctx: RequestContext, params: dict[str, list[str]],
                   version: Version) -> str | None:
    """The project to list; None means every project (which needs all_projects)."""
    wanted = last(params, "project_id") if version.matches((2, 80)) else None
    if wanted is not None and wanted == ctx.project_id:
        return wanted
    state.policy.authorize(ctx, rules.MIGRATIONS_INDEX_ALL, _own(ctx))
    return wanted


def _filters(params: dict[str, list[str]], version: Version,
             project: str | None) -> dict[str, Any] | None:
    """get_all keyword filters, or None when the filters can match nothing."""
    status = last(params, "status")
    if status is not None and status not in {s.value for s in MigrationStatus}:
        return None
    hidden = strict_bool(last(params, "hidden")) if last(params, "hidden") else False
    since = last(params, "changes-since") if version.matches((2, 59)) else None
    before = last(params, "changes-before") if version.matches((2, 66)) else None
    return {
        "instance_uuid": last(params, "instance_uuid"), "status": status,
        "host": last(params, "host"), "source_compute": last(params, "source_compute"),
        "migration_type": last(params, "migration_type"), "hidden": hidden,
        "project_id": project,
        "user_id": last(params, "user_id") if version.matches((2, 80)) else None,
        "changes_since": parse_isotime(since) if since else None,
        "changes_before": parse_isotime(before) if before else None,
    }


def _gather(state: APIState, ctx: RequestContext,
            filters: dict[str, Any]) -> list[tuple[str, Migration]]:
    """(cell name, migration) from every cell that answered, newest first."""
    runtime = state.runtime

    def _fetch(cctx: RequestContext) -> list[Migration]:
        assert cctx.cell is not None
        with runtime.cell_reader(cctx.cell) as s:
            return migration_obj.get_all(s, **filters)

    cells = runtime.cells()
    results = scatter_gather(ctx, cells, float(runtime.conf.api.list_cell_timeout),
                             _fetch, state.pool)
    found = [(cell.name or cell.uuid, m) for cell in cells
             if not isinstance(got := results.get(cell.uuid), CellFailure) and got
             for m in got]
    kept = list(_newest_copies(found).values())
    kept.sort(key=lambda cm: (cm[1].created_at, cm[1].id), reverse=True)
    return kept


def _newest_copies(found: list[tuple[str, Migration]]) -> dict[str, tuple[str, Migration]]:
    """One record per migration uuid: during a cross-cell move both cells hold a copy,
    and the one written last (the target's, once the move finished) tells the truth."""
    newest: dict[str, tuple[str, Migration]] = {}
    for cell, mig in found:
        seen = newest.get(mig.uuid)
        if seen is None or (mig.updated_at or mig.created_at) > (
                seen[1].updated_at or seen[1].created_at):
            newest[mig.uuid] = (cell, mig)
    return newest


def _move_details(state: APIState, found: list[tuple[str, Migration]]) -> dict[str, Any]:
    """Cirrus's own fields per migration uuid: cells crossed, the current step, and the
    disk figures of the step that moves bytes (null until a driver reported some)."""
    with state.runtime.api_reader() as s:
        journal = journal_obj.latest_for_migrations(s, [m.uuid for _, m in found])
    names = {c.uuid: c.name or c.uuid for c in state.runtime.cells()}
    out: dict[str, Any] = {}
    for cell, mig in found:
        entry = journal.get(mig.uuid)
        resize = journal.get(mig.uuid, None, journal_obj.Operation.RESIZE)
        out[mig.uuid] = {
            views.CIRRUS_PREFIX + "cross_cell_move": bool(mig.cross_cell_move),
            views.CIRRUS_PREFIX + "source_cell": names.get(
                resize.source_cell_uuid, cell) if resize else cell,
            views.CIRRUS_PREFIX + "dest_cell": names.get(
                resize.target_cell_uuid, cell) if resize else cell,
            views.CIRRUS_PREFIX + "step": (
                f"{entry.operation}:{entry.step}:{entry.state}" if entry else None),
            **views.disk_progress(mig),
        }
    return out


def list_migrations(state: APIState, req: falcon.Request, resp: falcon.Response) -> None:
    """GET /os-migrations: newest first; host fields null without the host rule."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.MIGRATIONS_INDEX, _own(ctx))
    version = version_of(req)
    params = validate_query(next(v for lo, v in _QUERY if version.matches(lo)), req)
    project = _project_scope(state, ctx, params, version)
    filters = _filters(params, version, project)
    found = _gather(state, ctx, filters) if filters is not None else []
    links: list[dict[str, str]] = []
    if version.matches((2, 59)):
        max_limit = state.runtime.conf.api.max_limit
        marker = last(params, "marker")
        found = paging.paginate(found, lambda cm: cm[1].uuid, marker,
                                paging.page_size(req, max_limit),
                                f"Marker {marker} could not be found.")
        links = paging.next_links(req, len(found), found[-1][1].uuid if found else None,
                                  "os-migrations", max_limit)
    hosts_visible = state.policy.check(ctx, rules.MIGRATIONS_INDEX_HOST, _own(ctx))
    items = [views.show(m, version, hosts_visible=hosts_visible) for _, m in found]
    if views.wants_detail(req.get_header(views.DETAIL_HEADER)):
        details = _move_details(state, found)
        for item, (_, mig) in zip(items, found, strict=True):
            item.update(details[mig.uuid])
    body: dict[str, Any] = {"migrations": items}
    if links:
        body["migrations_links"] = links
    resp.media = body


def list_server_migrations(state: APIState, req: falcon.Request, resp: falcon.Response,
                           server_id: str) -> None:
    """GET /servers/{id}/migrations (2.23+): in-progress live migrations only.

    Cirrus does no live migration, so the list is always empty for a server that exists.
    """
    ctx = ctx_of(req)
    if not version_of(req).matches((2, 23)):
        raise falcon.HTTPNotFound()
    state.policy.authorize(ctx, rules.SERVER_MIGRATIONS_INDEX, _own(ctx))
    loc = common.find_server(state, ctx, server_id)
    state.policy.authorize(ctx, rules.SERVER_MIGRATIONS_INDEX,
                           {"project_id": loc.mapping.project_id})
    resp.media = {"migrations": []}


def get_server_migration(state: APIState, req: falcon.Request, resp: falcon.Response,
                         server_id: str, migration_id: str) -> None:
    """GET /servers/{id}/migrations/{mid} (2.23+): only in-progress live migrations exist."""
    del resp
    ctx = ctx_of(req)
    if not version_of(req).matches((2, 23)):
        raise falcon.HTTPNotFound()
    state.policy.authorize(ctx, rules.SERVER_MIGRATIONS_SHOW, _own(ctx))
    common.find_server(state, ctx, server_id)
    raise exception.NotFound(
        f"In-progress live migration {migration_id} is not found for server {server_id}.")

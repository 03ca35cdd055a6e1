"""/servers/{id}/os-instance-actions: a server's action history, newest first.

Actions live in the server's cell; from 2.21 a deleted server's history stays readable.
"""

import datetime
from typing import Any

import falcon
import jsonschema

from cirrus import exception
from cirrus.api import common
from cirrus.api.common import APIState, ctx_of, version_of
from cirrus.api.microversion import Version
from cirrus.api.schemas import instance_actions as schemas
from cirrus.api.schemas.query import last, parse_isotime, query_validator, validate_query
from cirrus.api.views import instance_actions as views
from cirrus.api.views import paging
from cirrus.context import RequestContext
from cirrus.objects import instance_action as action_obj
from cirrus.objects.instance_action import Action
from cirrus.policy.rules import compute as rules

_INDEX_QUERY = [((2, 66), query_validator(schemas.INDEX_QUERY_V2_66)),
                ((2, 58), query_validator(schemas.INDEX_QUERY_V2_58)),
                ((2, 1), query_validator(schemas.INDEX_QUERY_V2_1))]


def _pick(version: Version) -> jsonschema.Draft4Validator:
    return next(v for lo, v in _INDEX_QUERY if version.matches(lo))


def _own(ctx: RequestContext) -> dict[str, Any]:
    return {"project_id": ctx.project_id, "user_id": ctx.user_id}


def _locate(state: APIState, req: falcon.Request, ctx: RequestContext, server_id: str,
            rule: str) -> common.Located:
    loc = common.find_server(state, ctx, server_id,
                             read_deleted=version_of(req).matches((2, 21)))
    state.policy.authorize(ctx, rule, {"project_id": loc.mapping.project_id})
    return loc


def _window(params: dict[str, list[str]]) -> tuple[datetime.datetime | None,
                                                   datetime.datetime | None]:
    raw_since, raw_before = last(params, "changes-since"), last(params, "changes-before")
    since = parse_isotime(raw_since) if raw_since else None
    before = parse_isotime(raw_before) if raw_before else None
    if since and before and before < since:
        raise exception.Invalid(
            "The value of changes-since must be less than or equal to changes-before.")
    return since, before


def _filtered(actions: list[Action], params: dict[str, list[str]]) -> list[Action]:
    since, before = _window(params)
    return [a for a in actions
            if (since is None or (a.updated_at is not None and a.updated_at >= since))
            and (before is None or (a.updated_at is not None and a.updated_at <= before))]


def list_actions(state: APIState, req: falcon.Request, resp: falcon.Response,
                 server_id: str) -> None:
    """GET /servers/{id}/os-instance-actions; from 2.58 paged, filtered, with ``links``."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.ACTIONS_LIST, _own(ctx))
    version = version_of(req)
    params = validate_query(_pick(version), req)
    loc = _locate(state, req, ctx, server_id, rules.ACTIONS_LIST)
    actions: list[Action] = []
    if loc.cell is not None:
        with state.runtime.cell_session(loc.cell) as s:
            actions = action_obj.get_all(s, server_id)
    body: dict[str, Any] = {}
    if version.matches((2, 58)):
        max_limit = state.runtime.conf.api.max_limit
        marker = last(params, "marker")
        actions = paging.paginate(_filtered(actions, params), lambda a: a.request_id, marker,
                                  paging.page_size(req, max_limit),
                                  f"Marker {marker} could not be found.")
        last_id = actions[-1].request_id if actions else None
        links = paging.next_links(req, len(actions), last_id,
                                  f"servers/{server_id}/os-instance-actions", max_limit)
        if links:
            # The key is plain "links" here, not "instanceActions_links".
            body["links"] = links
    resp.media = {"instanceActions": [views.action(a, version) for a in actions], **body}


def _event_options(state: APIState, ctx: RequestContext, version: Version,
                   project_id: str) -> views.EventOptions | None:
    """What of the events the caller sees; None when the events stay hidden (< 2.51)."""
    target = {"project_id": project_id}
    if state.policy.check(ctx, rules.ACTIONS_EVENTS, target):
        privileged = True
    elif version.matches((2, 51)):
        privileged = False
    else:
        return None
    details = version.matches((2, 84)) and state.policy.check(
        ctx, rules.ACTIONS_EVENTS_DETAILS, target)
    return views.EventOptions(traceback=privileged,
                              host=privileged and version.matches((2, 62)),
                              host_id=version.matches((2, 62)), details=details)


def get_action(state: APIState, req: falcon.Request, resp: falcon.Response,
               server_id: str, request_id: str) -> None:
    """GET /servers/{id}/os-instance-actions/{request_id}: the action with its events."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.ACTIONS_SHOW, _own(ctx))
    version = version_of(req)
    loc = _locate(state, req, ctx, server_id, rules.ACTIONS_SHOW)
    if loc.cell is None:
        raise exception.NotFound(f"Action {request_id} not found")
    with state.runtime.cell_session(loc.cell) as s:
        act = action_obj.get_by_request_id(s, server_id, request_id)
    body = views.action(act, version)
    opts = _event_options(state, ctx, version, loc.mapping.project_id)
    if opts is not None:
        # Actions started by periodic tasks have no project; the server's salts hostId.
        project = act.project_id or loc.mapping.project_id
        body["events"] = [views.event(e, project, opts) for e in act.events]
    resp.media = {"instanceAction": body}

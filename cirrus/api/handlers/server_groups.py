"""/os-server-groups: list, create, show, delete.

A group belongs to a project; another project's group is not found (404) unless policy
lets the caller act for its owner. Create answers 200 and delete 204 at every version.
"""

from typing import Any

import falcon
import jsonschema

from cirrus import exception
from cirrus.api.common import APIState, ctx_of, version_of
from cirrus.api.microversion import Version
from cirrus.api.ops import server_groups as ops
from cirrus.api.schemas import server_groups as schemas
from cirrus.api.schemas.names import check_name
from cirrus.api.schemas.query import last, validate_query
from cirrus.api.schemas.query import query_validator as qv
from cirrus.api.schemas.validation import validate, validator
from cirrus.api.views import paging
from cirrus.api.views import server_groups as views
from cirrus.objects import instance_group as ig_obj
from cirrus.policy.rules import compute as rules
from cirrus.wsgi.body import read_json

Table = list[tuple[tuple[int, int], jsonschema.Draft4Validator]]

_CREATE: Table = [((2, 64), validator(schemas.CREATE_V2_64)),
                  ((2, 15), validator(schemas.CREATE_V2_15)),
                  ((2, 1), validator(schemas.CREATE_V2_1))]
_INDEX_QUERY: Table = [((2, 75), qv(schemas.INDEX_QUERY_V2_75)),
                       ((2, 1), qv(schemas.INDEX_QUERY_V2_1))]


def _pick(table: Table, version: Version) -> jsonschema.Draft4Validator:
    return next(v for lo, v in table if version.matches(lo))


def _offset(params: dict[str, list[str]]) -> int:
    raw = last(params, "offset")
    if raw is None:
        return 0
    if not raw.isdigit():
        raise exception.Invalid("offset param must be an integer")
    return int(raw)


def list_server_groups(state: APIState, req: falcon.Request, resp: falcon.Response) -> None:
    """GET /os-server-groups: the caller's project's, or with ``all_projects`` (admin) all.

    ``limit`` (capped at ``[api] max_limit``) and ``offset`` page the list.
    """
    ctx = ctx_of(req)
    version = version_of(req)
    own = {"project_id": ctx.project_id}
    state.policy.authorize(ctx, rules.SERVER_GROUPS_INDEX, own)
    params = validate_query(_pick(_INDEX_QUERY, version), req)
    project_id: str | None = ctx.project_id
    # NOTE: as in Nova, a non-admin asking for all projects silently gets their own.
    if "all_projects" in params and ctx.is_admin:
        state.policy.authorize(ctx, rules.SERVER_GROUPS_INDEX_ALL, own)
        project_id = None
    limit = paging.page_size(req, state.runtime.conf.api.max_limit)
    with state.runtime.api_reader() as s:
        groups = ig_obj.get_all(s, project_id, limit=limit, offset=_offset(params))
    resp.media = views.index(groups, ops.live_members(state, groups), version)


def _rules(params: dict[str, Any]) -> dict[str, Any]:
    """The 2.64 ``rules``, normalised; only anti-affinity takes any."""
    given = dict(params.get("rules") or {})
    if given and params["policy"] != ig_obj.ANTI_AFFINITY:
        raise exception.Invalid("Only anti-affinity policy supports rules.")
    if ig_obj.MAX_SERVER_PER_HOST in given:
        value = int(given[ig_obj.MAX_SERVER_PER_HOST])
        if value < 1:
            # The schema cannot hold a string of digits to a minimum.
            raise exception.ValidationError(
                f"Invalid input for field/attribute {ig_obj.MAX_SERVER_PER_HOST}. Value: "
                f"{given[ig_obj.MAX_SERVER_PER_HOST]}. {value} is less than the minimum of 1")
        given[ig_obj.MAX_SERVER_PER_HOST] = value
    return given


def create_server_group(state: APIState, req: falcon.Request, resp: falcon.Response) -> None:
    """POST /os-server-groups: 200; 400 on a bad policy or rules, 403 over quota."""
    ctx = ctx_of(req)
    version = version_of(req)
    state.policy.authorize(ctx, rules.SERVER_GROUPS_CREATE, {"project_id": ctx.project_id})
    body = read_json(req)
    params = body.get("server_group") if isinstance(body, dict) else None
    if isinstance(params, dict):
        # Nova checks the name's format before the rest of the schema.
        check_name(params.get("name"))
    validate(_pick(_CREATE, version), body)
    assert isinstance(params, dict)
    if version.matches((2, 64)):
        policy, group_rules = params["policy"], _rules(params)
    else:
        policy, group_rules = params["policies"][0], {}
    ops.check_group_quota(state, ctx)
    with state.runtime.api_session() as s:
        group = ig_obj.create(s, name=params["name"], project_id=ctx.project_id,
                              user_id=ctx.user_id, policy=policy, rules=group_rules)
    resp.status = falcon.HTTP_200
    resp.media = views.show(group, (), version)


def get_server_group(state: APIState, req: falcon.Request, resp: falcon.Response,
                     server_group_id: str) -> None:
    """GET /os-server-groups/{id}: 404 for an unknown group or another project's."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.SERVER_GROUPS_SHOW, {"project_id": ctx.project_id})
    group = ops.find(state, ctx, server_group_id, rules.SERVER_GROUPS_SHOW)
    state.policy.authorize(ctx, rules.SERVER_GROUPS_SHOW, {"project_id": group.project_id})
    resp.media = views.show(group, ops.live_members(state, [group]), version_of(req))


def delete_server_group(state: APIState, req: falcon.Request, resp: falcon.Response,
                        server_group_id: str) -> None:
    """DELETE /os-server-groups/{id}: 204, members or not (they stay, ungrouped)."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.SERVER_GROUPS_DELETE, {"project_id": ctx.project_id})
    group = ops.find(state, ctx, server_group_id, rules.SERVER_GROUPS_DELETE)
    state.policy.authorize(ctx, rules.SERVER_GROUPS_DELETE, {"project_id": group.project_id})
    with state.runtime.api_session() as s:
        ig_obj.delete(s, group.uuid)
    resp.status = falcon.HTTP_204

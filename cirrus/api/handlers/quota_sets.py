"""/os-quota-sets/{project_id}: show, detail (with usage), defaults and update."""

from typing import Any

import falcon
import jsonschema

from cirrus import exception
from cirrus.api.common import APIState, ctx_of, version_of
from cirrus.api.microversion import Version
from cirrus.api.ops import quotas
from cirrus.api.schemas import quota_sets as schemas
from cirrus.api.schemas.query import query_validator, strict_bool, validate_query
from cirrus.api.schemas.validation import validate, validator
from cirrus.api.views import quota_sets as views
from cirrus.context import RequestContext
from cirrus.objects import quota as quota_obj
from cirrus.policy.rules import compute as rules
from cirrus.wsgi.body import read_json

_SHOW_QUERY_V2_1 = query_validator(schemas.SHOW_QUERY_V2_1)
_SHOW_QUERY_V2_75 = query_validator(schemas.SHOW_QUERY_V2_75)
_UPDATE = [((2, 57), validator(schemas.UPDATE_V2_57)), ((2, 36), validator(schemas.UPDATE_V2_36)),
           ((2, 1), validator(schemas.UPDATE_V2_1))]


def _query(req: falcon.Request, version: Version) -> None:
    # NOTE: ?user_id= is accepted as Nova does; there are no per-user quotas yet, so the
    # project's values are the user's.
    validate_query(_SHOW_QUERY_V2_75 if version.matches((2, 75)) else _SHOW_QUERY_V2_1, req)


def get_quota_set(state: APIState, req: falcon.Request, resp: falcon.Response,
                  project_id: str) -> None:
    """GET /os-quota-sets/{project_id}."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.QUOTA_SHOW, {"project_id": project_id})
    version = version_of(req)
    _query(req, version)
    resp.media = views.quota_set(project_id, quotas.limits(state, project_id), version)


def get_quota_set_detail(state: APIState, req: falcon.Request, resp: falcon.Response,
                         project_id: str) -> None:
    """GET /os-quota-sets/{project_id}/detail: each resource's in_use, limit, reserved."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.QUOTA_DETAIL, {"project_id": project_id})
    version = version_of(req)
    _query(req, version)
    values = views.detail_values(quotas.limits(state, project_id),
                                 quotas.in_use(state, ctx, project_id))
    resp.media = views.quota_set(project_id, values, version)


def get_quota_defaults(state: APIState, req: falcon.Request, resp: falcon.Response,
                       project_id: str) -> None:
    """GET /os-quota-sets/{project_id}/defaults."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.QUOTA_DEFAULTS, {"project_id": project_id})
    resp.media = views.quota_set(project_id, quotas.defaults(state), version_of(req))


def _value(key: str, raw: Any) -> int:
    """A limit the schema let through as an int or a digit string, range-checked."""
    value = int(raw)
    if value < -1:
        raise exception.ValidationError(
            f"Invalid input for field/attribute {key}. Value: {value}. {value} is less than "
            "the minimum of -1")
    if value > schemas.MAX_INT:
        raise exception.ValidationError(
            f"Invalid input for field/attribute {key}. Value: {value}. {value} is greater "
            f"than the maximum of {schemas.MAX_INT}")
    return value


def _requested(state: APIState, ctx: RequestContext, project_id: str,
               quota_set: dict[str, Any]) -> dict[str, int]:
    """The limits to store, all checked before any is written."""
    force = bool(strict_bool(quota_set.get("force", "False")))
    used = quotas.in_use(state, ctx, project_id) if not force else {}
    wanted: dict[str, int] = {}
    for key, raw in quota_set.items():
        if key == "force" or (not raw and raw != 0):
            continue
        value = _value(key, raw)
        minimum = used.get(key, 0)
        # A forced update may go below what is in use; -1 (unlimited) never is.
        if not force and value != -1 and value < minimum:
            raise exception.Invalid(
                f"Quota limit {value} for {key} must be greater than or equal to already "
                f"used and reserved {minimum}.")
        wanted[key] = value
    return wanted


def update_quota_set(state: APIState, req: falcon.Request, resp: falcon.Response,
                     project_id: str) -> None:
    """PUT /os-quota-sets/{project_id}: the new quota set, without ``id``."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.QUOTA_UPDATE, {"project_id": project_id})
    version = version_of(req)
    _query(req, version)
    body = read_json(req)
    schema: jsonschema.Draft4Validator = next(v for lo, v in _UPDATE if version.matches(lo))
    validate(schema, body)
    wanted = _requested(state, ctx, project_id, body["quota_set"])
    with state.runtime.api_session() as s:
        for key, value in wanted.items():
            quota_obj.set_limit(s, project_id, key, value)
    resp.media = views.quota_set(None, quotas.limits(state, project_id), version)

"""/os-keypairs: list, create (import or generate), show, delete.

Key pairs belong to a user, not a project; from 2.10 an administrator may name another
user with ``user_id``.
"""

from typing import Any

import falcon
import jsonschema

from cirrus import exception
from cirrus.api.common import APIState, ctx_of, version_of
from cirrus.api.microversion import Version
from cirrus.api.ops import ssh_keys
from cirrus.api.schemas import keypairs as schemas
from cirrus.api.schemas.names import check_name
from cirrus.api.schemas.query import last, params_of, query_validator, validate_query
from cirrus.api.schemas.validation import validate, validator
from cirrus.api.views import keypairs as views
from cirrus.api.views import paging
from cirrus.context import RequestContext
from cirrus.objects import keypair as keypair_obj
from cirrus.objects import quota as quota_obj
from cirrus.objects.keypair import KeyPair
from cirrus.policy.rules import compute as rules
from cirrus.wsgi.body import read_json

Table = list[tuple[tuple[int, int], jsonschema.Draft4Validator]]

_CREATE: Table = [((2, 10), validator(schemas.CREATE_V2_10)),
                  ((2, 2), validator(schemas.CREATE_V2_2)),
                  ((2, 1), validator(schemas.CREATE_V2_1))]
_INDEX_QUERY: Table = [((2, 75), query_validator(schemas.INDEX_QUERY_V2_75)),
                       ((2, 35), query_validator(schemas.INDEX_QUERY_V2_35)),
                       ((2, 10), query_validator(schemas.INDEX_QUERY_V2_10)),
                       ((2, 1), query_validator(schemas.INDEX_QUERY_V2_1))]
_ITEM_QUERY: Table = [((2, 75), query_validator(schemas.ITEM_QUERY_V2_75)),
                      ((2, 10), query_validator(schemas.ITEM_QUERY_V2_10)),
                      ((2, 1), query_validator(schemas.ITEM_QUERY_V2_1))]


def _pick(table: Table, version: Version) -> jsonschema.Draft4Validator:
    return next(v for lo, v in table if version.matches(lo))


def _user(req: falcon.Request, ctx: RequestContext, version: Version) -> str:
    """Whose key pairs: ``?user_id=`` (2.10+; the first one given) or the caller."""
    requested = params_of(req).get("user_id") if version.matches((2, 10)) else None
    return requested[0] if requested else str(ctx.user_id)


def list_keypairs(state: APIState, req: falcon.Request, resp: falcon.Response) -> None:
    """GET /os-keypairs: by name; limit/marker (a name) and ``keypairs_links`` from 2.35."""
    ctx = ctx_of(req)
    version = version_of(req)
    user_id = _user(req, ctx, version)
    state.policy.authorize(ctx, rules.KEYPAIRS_INDEX, {"user_id": user_id})
    params = validate_query(_pick(_INDEX_QUERY, version), req)
    paged = version.matches((2, 35))
    max_limit = state.runtime.conf.api.max_limit
    limit = paging.page_size(req, max_limit) if paged else None
    marker = last(params, "marker") if paged else None
    try:
        with state.runtime.api_session() as s:
            keypairs = keypair_obj.get_all(s, user_id, limit=limit, marker=marker)
    except exception.MarkerNotFound as exc:
        raise exception.Invalid(exc.message) from None
    body: dict[str, Any] = {"keypairs": views.index(keypairs, version)}
    if paged:
        last_name = keypairs[-1].name if keypairs else None
        links = paging.next_links(req, len(keypairs), last_name, "os-keypairs", max_limit)
        if links:
            body["keypairs_links"] = links
    resp.media = body


def _check_quota(state: APIState, ctx: RequestContext, user_id: str) -> None:
    with state.runtime.api_session() as s:
        allowed = quota_obj.limits_for(s, str(ctx.project_id))["key_pairs"]
        used = keypair_obj.count(s, user_id)
    if 0 <= allowed < used + 1:
        raise exception.KeypairLimitExceeded()


def _store(state: APIState, user_id: str, params: dict[str, Any]) -> tuple[KeyPair, str | None]:
    """Import the given public key or generate a pair; the private key when generated."""
    name = params["name"].strip()
    key_type = params.get("type", keypair_obj.TYPE_SSH)
    private_key = None
    if "public_key" in params:
        public_key = params["public_key"]
        fingerprint = ssh_keys.fingerprint(public_key, key_type)
    else:
        private_key, public_key, fingerprint = ssh_keys.generate(key_type, user_id)
    with state.runtime.api_session() as s:
        kp = keypair_obj.create(s, user_id, name, public_key, fingerprint, key_type)
    return kp, private_key


def create_keypair(state: APIState, req: falcon.Request, resp: falcon.Response) -> None:
    """POST /os-keypairs: 200 at 2.1, 201 from 2.2; 403 over quota, 409 on a duplicate."""
    ctx = ctx_of(req)
    version = version_of(req)
    body = read_json(req)
    params = body.get("keypair") if isinstance(body, dict) else None
    requested = params.get("user_id") if isinstance(params, dict) else None
    user_id = str(requested if requested and version.matches((2, 10)) else ctx.user_id)
    state.policy.authorize(ctx, rules.KEYPAIRS_CREATE, {"user_id": user_id})
    if isinstance(params, dict):
        # Nova checks the name's format before the rest of the schema.
        check_name(params.get("name"))
    validate(_pick(_CREATE, version), body)
    assert isinstance(params, dict)
    _check_quota(state, ctx, user_id)
    kp, private_key = _store(state, user_id, params)
    resp.status = falcon.HTTP_201 if version.matches((2, 2)) else falcon.HTTP_200
    resp.media = views.create(kp, version, private_key)


def get_keypair(state: APIState, req: falcon.Request, resp: falcon.Response,
                keypair_name: str) -> None:
    """GET /os-keypairs/{name}."""
    ctx = ctx_of(req)
    version = version_of(req)
    user_id = _user(req, ctx, version)
    state.policy.authorize(ctx, rules.KEYPAIRS_SHOW, {"user_id": user_id})
    validate_query(_pick(_ITEM_QUERY, version), req)
    with state.runtime.api_session() as s:
        kp = keypair_obj.get(s, user_id, keypair_name)
    resp.media = views.show(kp, version)


def delete_keypair(state: APIState, req: falcon.Request, resp: falcon.Response,
                   keypair_name: str) -> None:
    """DELETE /os-keypairs/{name}: 202 at 2.1, 204 from 2.2."""
    ctx = ctx_of(req)
    version = version_of(req)
    user_id = _user(req, ctx, version)
    state.policy.authorize(ctx, rules.KEYPAIRS_DELETE, {"user_id": user_id})
    validate_query(_pick(_ITEM_QUERY, version), req)
    with state.runtime.api_session() as s:
        keypair_obj.delete(s, user_id, keypair_name)
    resp.status = falcon.HTTP_204 if version.matches((2, 2)) else falcon.HTTP_202

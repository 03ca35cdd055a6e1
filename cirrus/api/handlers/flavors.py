"""/flavors: list, detail, show, create, update (2.55), delete, extra specs and access.

Reading flavors needs no policy in Nova (anyone may list and show them); every write and
the extra-spec and access sub-resources are checked first thing.
"""

import uuid as uuidlib
from typing import Any

import falcon
import jsonschema

from cirrus import exception
from cirrus.api.common import APIState, ctx_of, version_of
from cirrus.api.microversion import Version
from cirrus.api.schemas import flavors as schemas
from cirrus.api.schemas.names import check_name
from cirrus.api.schemas.query import last, query_validator, strict_bool, validate_query
from cirrus.api.schemas.validation import validate, validator
from cirrus.api.views import flavors as views
from cirrus.api.views import paging
from cirrus.context import RequestContext
from cirrus.objects import flavor as flavor_obj
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.policy.rules import compute as rules
from cirrus.wsgi.body import read_json

_INDEX_QUERY = [((2, 75), query_validator(schemas.INDEX_QUERY_V2_75)),
                ((2, 1), query_validator(schemas.INDEX_QUERY_V2_1))]
_CREATE = [((2, 55), validator(schemas.CREATE_V2_55)), ((2, 1), validator(schemas.CREATE_V2_1))]
_UPDATE = validator(schemas.UPDATE_V2_55)
_SPECS_CREATE = validator(schemas.EXTRA_SPECS_CREATE)
_SPEC_UPDATE = validator(schemas.EXTRA_SPEC_UPDATE)
_ACCESS = {"addTenantAccess": (rules.FLAVOR_ACCESS_ADD, validator(schemas.ADD_TENANT_ACCESS)),
           "removeTenantAccess": (rules.FLAVOR_ACCESS_REMOVE,
                                  validator(schemas.REMOVE_TENANT_ACCESS))}


def _pick(table: list[tuple[tuple[int, int], jsonschema.Draft4Validator]],
          version: Version) -> jsonschema.Draft4Validator:
    return next(v for lo, v in table if version.matches(lo))


def _own(ctx: RequestContext) -> dict[str, Any]:
    return {"project_id": ctx.project_id, "user_id": ctx.user_id}


def _sees_extra_specs(state: APIState, ctx: RequestContext, version: Version) -> bool:
    return version.matches((2, 61)) and state.policy.check(
        ctx, rules.FLAVOR_EXTRA_SPECS_INDEX, _own(ctx))


def _is_public_filter(raw: str | None) -> bool | None:
    if raw is None:
        return True
    if raw.lower() == "none":
        return None
    parsed = strict_bool(raw)
    if parsed is None:
        raise exception.Invalid(f"Invalid is_public filter [{raw}]")
    return parsed


def _int_filter(params: dict[str, list[str]], name: str) -> int:
    raw = last(params, name)
    if raw is None:
        return 0
    try:
        return int(raw)
    except ValueError:
        raise exception.Invalid(f"Invalid {name} filter [{raw}]") from None


def _listed(state: APIState, req: falcon.Request, ctx: RequestContext) -> list[FlavorSpec]:
    params = validate_query(_pick(_INDEX_QUERY, version_of(req)), req)
    # Only administrators choose the visibility; everyone else sees the public flavors
    # plus the private ones their project was given, and never a disabled one.
    is_public = _is_public_filter(last(params, "is_public")) if ctx.is_admin else True
    min_ram = _int_filter(params, "minRam")
    min_disk = _int_filter(params, "minDisk")
    with state.runtime.api_session() as s:
        flavors = flavor_obj.get_all(
            s, is_public=is_public, project_id=ctx.project_id, min_memory_mb=min_ram,
            min_root_gb=min_disk, sort_key=last(params, "sort_key") or "flavorid",
            sort_dir=last(params, "sort_dir") or "asc")
    if not ctx.is_admin:
        flavors = [f for f in flavors if not f.disabled]
    marker = last(params, "marker")
    limit = paging.page_size(req, state.runtime.conf.api.max_limit)
    return paging.paginate(flavors, lambda f: f.flavorid, marker, limit,
                           f"marker [{marker}] not found")


def _list(state: APIState, req: falcon.Request, resp: falcon.Response, detail: bool) -> None:
    ctx = ctx_of(req)
    version = version_of(req)
    page = _listed(state, req, ctx)
    resp.media = views.listing(req, page, version, detail=detail,
                               extra_specs=_sees_extra_specs(state, ctx, version),
                               max_limit=state.runtime.conf.api.max_limit)


def list_flavors(state: APIState, req: falcon.Request, resp: falcon.Response) -> None:
    """GET /flavors: id, name, links (and description from 2.55)."""
    _list(state, req, resp, detail=False)


def list_flavors_detail(state: APIState, req: falcon.Request, resp: falcon.Response) -> None:
    """GET /flavors/detail: full flavor bodies."""
    _list(state, req, resp, detail=True)


def _get(state: APIState, flavor_id: str) -> FlavorSpec:
    with state.runtime.api_session() as s:
        return flavor_obj.get_by_flavor_id(s, flavor_id)


def get_flavor(state: APIState, req: falcon.Request, resp: falcon.Response,
               flavor_id: str) -> None:
    """GET /flavors/{id}: 404 ``Flavor X could not be found.`` for names (CLI lookups)."""
    ctx = ctx_of(req)
    version = version_of(req)
    flavor = _get(state, flavor_id)
    resp.media = {"flavor": views.show(req, flavor, version,
                                       _sees_extra_specs(state, ctx, version))}


def _number(value: Any, field: str, minimum: int) -> int:
    """An integer field that the schema let through as a digit string or an int."""
    number = int(value)
    if number < minimum:
        raise exception.ValidationError(
            f"Invalid input for field/attribute {field}. Value: {number}. {number} is less "
            f"than the minimum of {minimum}")
    if number > schemas.MAX_INT:
        raise exception.ValidationError(
            f"Invalid input for field/attribute {field}. Value: {number}. {number} is greater "
            f"than the maximum of {schemas.MAX_INT}")
    return number


def _rxtx(value: Any) -> float:
    # The schema bounds numbers; a digit string is read as an int when it is one.
    number: float = value if not isinstance(value, str) else (
        int(value) if value.isdigit() else float(value))
    if number <= 0:
        raise exception.ValidationError(
            f"Invalid input for field/attribute rxtx_factor. Value: {number}. {number} is "
            "less than or equal to the minimum of 0")
    return float(number)


def _spec_from_body(vals: dict[str, Any], version: Version) -> FlavorSpec:
    flavorid = vals.get("id")
    # A missing, null (or otherwise false) id asks for a generated one.
    flavorid = str(flavorid) if flavorid else str(uuidlib.uuid4())
    is_public = strict_bool(vals.get("os-flavor-access:is_public", True))
    return FlavorSpec(
        id=0, flavorid=flavorid, name=vals["name"],
        memory_mb=_number(vals["ram"], "ram", 1), vcpus=_number(vals["vcpus"], "vcpus", 1),
        root_gb=_number(vals["disk"], "disk", 0),
        ephemeral_gb=_number(vals.get("OS-FLV-EXT-DATA:ephemeral", 0),
                             "OS-FLV-EXT-DATA:ephemeral", 0),
        swap=_number(vals.get("swap", 0), "swap", 0),
        rxtx_factor=_rxtx(vals.get("rxtx_factor", 1.0)), is_public=bool(is_public),
        description=vals.get("description") if version.matches((2, 55)) else None,
    )


def create_flavor(state: APIState, req: falcon.Request, resp: falcon.Response) -> None:
    """POST /flavors: 200 (not 201, as Nova kept it); 409 on a duplicate id or name."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.FLAVOR_CREATE, {})
    version = version_of(req)
    body = read_json(req)
    if isinstance(body, dict) and isinstance(body.get("flavor"), dict):
        # Nova checks the name's format before the rest of the schema.
        check_name(body["flavor"].get("name"))
    validate(_pick(_CREATE, version), body)
    spec = _spec_from_body(body["flavor"], version)
    with state.runtime.api_session() as s:
        flavor = flavor_obj.create(s, spec)
    resp.media = {"flavor": views.show(req, flavor, version,
                                       _sees_extra_specs(state, ctx, version))}


def update_flavor(state: APIState, req: falcon.Request, resp: falcon.Response,
                  flavor_id: str) -> None:
    """PUT /flavors/{id} (2.55+): only the description changes."""
    version = version_of(req)
    if not version.matches((2, 55)):
        raise falcon.HTTPNotFound()
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.FLAVOR_UPDATE, {})
    body = read_json(req)
    validate(_UPDATE, body)
    with state.runtime.api_session() as s:
        flavor = flavor_obj.update_description(s, flavor_id, body["flavor"]["description"])
    resp.media = {"flavor": views.show(req, flavor, version,
                                       _sees_extra_specs(state, ctx, version))}


def delete_flavor(state: APIState, req: falcon.Request, resp: falcon.Response,
                  flavor_id: str) -> None:
    """DELETE /flavors/{id}: 202; servers keep their embedded copy."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.FLAVOR_DELETE, {})
    with state.runtime.api_session() as s:
        flavor_obj.delete(s, flavor_id)
    resp.status = falcon.HTTP_202


# -- extra specs ------------------------------------------------------------------------


def list_extra_specs(state: APIState, req: falcon.Request, resp: falcon.Response,
                     flavor_id: str) -> None:
    """GET /flavors/{id}/os-extra_specs."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.FLAVOR_EXTRA_SPECS_INDEX, _own(ctx))
    resp.media = {"extra_specs": dict(_get(state, flavor_id).extra_specs)}


def _check_values(specs: dict[str, Any]) -> dict[str, str]:
    # NOTE: the schema bounds string values only; numbers are measured as text here.
    out = {}
    for key, value in specs.items():
        text = str(value)
        if isinstance(value, int | float) and len(text) > 255:
            raise exception.Invalid(
                f"extra_specs value has {len(text)} characters, more than 255.")
        out[key] = text
    return out


def create_extra_specs(state: APIState, req: falcon.Request, resp: falcon.Response,
                       flavor_id: str) -> None:
    """POST /flavors/{id}/os-extra_specs: add or replace keys; echoes the body (200)."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.FLAVOR_EXTRA_SPECS_CREATE, {})
    body = read_json(req)
    validate(_SPECS_CREATE, body)
    specs = _check_values(body["extra_specs"])
    with state.runtime.api_session() as s:
        flavor_obj.set_extra_specs(s, flavor_id, specs)
    resp.media = body


def get_extra_spec(state: APIState, req: falcon.Request, resp: falcon.Response,
                   flavor_id: str, key: str) -> None:
    """GET /flavors/{id}/os-extra_specs/{key}: ``{key: value}``."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.FLAVOR_EXTRA_SPECS_SHOW, _own(ctx))
    specs = _get(state, flavor_id).extra_specs
    if key not in specs:
        raise exception.NotFound(f"Flavor {flavor_id} has no extra specs with key {key}.")
    resp.media = {key: specs[key]}


def update_extra_spec(state: APIState, req: falcon.Request, resp: falcon.Response,
                      flavor_id: str, key: str) -> None:
    """PUT /flavors/{id}/os-extra_specs/{key}: body ``{key: value}``, echoed back."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.FLAVOR_EXTRA_SPECS_UPDATE, {})
    body = read_json(req)
    validate(_SPEC_UPDATE, body)
    specs = _check_values(body)
    if key not in body:
        raise exception.Invalid("Request body and URI mismatch")
    with state.runtime.api_session() as s:
        flavor_obj.set_extra_specs(s, flavor_id, specs)
    resp.media = body


def delete_extra_spec(state: APIState, req: falcon.Request, resp: falcon.Response,
                      flavor_id: str, key: str) -> None:
    """DELETE /flavors/{id}/os-extra_specs/{key}: 200 with no body."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.FLAVOR_EXTRA_SPECS_DELETE, {})
    with state.runtime.api_session() as s:
        flavor_obj.delete_extra_spec(s, flavor_id, key)
    resp.status = falcon.HTTP_200


# -- access to private flavors ----------------------------------------------------------


def list_flavor_access(state: APIState, req: falcon.Request, resp: falcon.Response,
                       flavor_id: str) -> None:
    """GET /flavors/{id}/os-flavor-access: 404 for a public flavor."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.FLAVOR_ACCESS, _own(ctx))
    with state.runtime.api_session() as s:
        flavor = flavor_obj.get_by_flavor_id(s, flavor_id)
        if flavor.is_public:
            raise exception.NotFound("Access list not available for public flavors.")
        projects = flavor_obj.projects_of(s, flavor_id)
    resp.media = views.access(flavor_id, projects)


def flavor_action(state: APIState, req: falcon.Request, resp: falcon.Response,
                  flavor_id: str) -> None:
    """POST /flavors/{id}/action: addTenantAccess / removeTenantAccess."""
    ctx = ctx_of(req)
    body = read_json(req)
    name = next(iter(body), "") if isinstance(body, dict) and len(body) == 1 else ""
    if name not in _ACCESS:
        keys = ", ".join(body) if isinstance(body, dict) else ""
        raise exception.Invalid(f"There is no such action: {keys}")
    rule, schema = _ACCESS[name]
    state.policy.authorize(ctx, rule, {})
    validate(schema, body)
    tenant = body[name]["tenant"]
    with state.runtime.api_session() as s:
        flavor = flavor_obj.get_by_flavor_id(s, flavor_id)
        if name == "addTenantAccess":
            if flavor.is_public and version_of(req).matches((2, 7)):
                raise exception.Conflict("Can not add access to a public flavor.")
            flavor_obj.add_project(s, flavor_id, tenant)
        else:
            flavor_obj.remove_project(s, flavor_id, tenant)
    with state.runtime.api_session() as s:
        projects = flavor_obj.projects_of(s, flavor_id)
    resp.media = views.access(flavor_id, projects)

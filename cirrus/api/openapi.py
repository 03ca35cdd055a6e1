"""An OpenAPI 3.1 document generated from the route table and the request schemas."""

import re
from typing import Any

from cirrus.api import handler, microversion
from cirrus.api.schemas import server_groups as server_group_schemas
from cirrus.api.schemas import servers as server_schemas

# Request bodies at the newest microversion, by (method, path).
REQUEST_SCHEMAS: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v2.1/servers"): server_schemas.CREATE_V2_90,
    ("PUT", "/v2.1/servers/{server_id}"): server_schemas.UPDATE_V2_90,
    ("POST", "/v2.1/os-server-groups"): server_group_schemas.CREATE_V2_64,
}
# Success codes that differ from the method's usual one (_SUCCESS), by (method, path).
SUCCESS_CODES: dict[tuple[str, str], str] = {
    ("POST", "/v2.1/os-server-groups"): "200",
}

_ERRORS = {
    "400": "Bad request (Nova fault body badRequest)",
    "401": "Missing, expired or invalid token",
    "403": "Policy or quota forbids it (forbidden)",
    "404": "Not found (itemNotFound)",
    "406": "Microversion out of range (computeFault)",
    "409": "Conflicting state (conflictingRequest)",
}
_SUCCESS = {"GET": "200", "POST": "202", "PUT": "200", "DELETE": "204"}
_PARAM = re.compile(r"{(\w+)}")


def _operation(method: str, path: str, fn: Any) -> dict[str, Any]:
    doc = (fn.__doc__ or fn.__name__).strip().splitlines()[0]
    op: dict[str, Any] = {
        "operationId": f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}",
        "summary": doc,
        "parameters": [{"name": name, "in": "path", "required": True,
                        "schema": {"type": "string"}} for name in _PARAM.findall(path)],
        "responses": {SUCCESS_CODES.get((method, path), _SUCCESS.get(method, "200")):
                      {"description": "Success"},
                      **{code: {"description": text} for code, text in _ERRORS.items()}},
    }
    schema = REQUEST_SCHEMAS.get((method, path))
    if schema is not None:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": schema}}}
    return op


def document() -> dict[str, Any]:
    """The OpenAPI document of the compute API at its newest microversion."""
    paths: dict[str, Any] = {}
    for template, handlers in handler.ROUTES:
        item = paths.setdefault(template, {})
        for method, fn in handlers.items():
            item[method.lower()] = _operation(method, template, fn)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Cirrus Compute API", "version": microversion.max_version_str(),
                 "description": "Nova-compatible compute API; send "
                                "'OpenStack-API-Version: compute X.Y' between "
                                f"{microversion.min_version_str()} and "
                                f"{microversion.max_version_str()}."},
        "servers": [{"url": "/compute"}],
        "components": {"securitySchemes": {"token": {
            "type": "apiKey", "in": "header", "name": "X-Auth-Token"}}},
        "security": [{"token": []}],
        "paths": paths,
    }

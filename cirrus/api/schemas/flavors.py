"""Request schemas of /flavors and its sub-resources; released ones never change."""

import copy
from typing import Any

from cirrus.api.schemas import query

SORT_KEYS = ["created_at", "description", "disabled", "ephemeral_gb", "flavorid", "id",
             "is_public", "memory_mb", "name", "root_gb", "rxtx_factor", "swap",
             "updated_at", "vcpu_weight", "vcpus"]
SORT_DIRS = ["asc", "desc"]
MAX_INT = 0x7FFFFFFF
MAX_FLOAT = 3.40282e38

_NAME = {"type": "string", "minLength": 1, "maxLength": 255}
_POSITIVE = {"type": ["integer", "string"], "pattern": "^[0-9]+$", "minimum": 1,
             "maximum": MAX_INT}
_NON_NEGATIVE = {**_POSITIVE, "minimum": 0}
# Printable characters: control characters are the only ones refused.
_DESCRIPTION = {"type": ["string", "null"], "minLength": 0, "maxLength": 65535,
                "pattern": "^[^\\x00-\\x1f\\x7f-\\x9f]*$"}

CREATE_V2_1: dict[str, Any] = {
    "type": "object",
    "properties": {
        "flavor": {
            "type": "object",
            "properties": {
                "name": _NAME,
                # No leading or trailing blanks.
                "id": {"type": ["string", "number", "null"], "minLength": 1, "maxLength": 255,
                       "pattern": "^(?! )[a-zA-Z0-9. _-]+(?<! )$"},
                "ram": _POSITIVE,
                "vcpus": _POSITIVE,
                "disk": _NON_NEGATIVE,
                "OS-FLV-EXT-DATA:ephemeral": _NON_NEGATIVE,
                "swap": _NON_NEGATIVE,
                "rxtx_factor": {"type": ["number", "string"], "pattern": r"^[0-9]+(\.[0-9]+)?$",
                                "minimum": 0, "exclusiveMinimum": True,
                                "maximum": MAX_FLOAT},
                "os-flavor-access:is_public": query.BOOLEAN,
            },
            "required": ["name", "ram", "vcpus", "disk"],
            "additionalProperties": False,
        },
    },
    "required": ["flavor"],
    "additionalProperties": False,
}

CREATE_V2_55 = copy.deepcopy(CREATE_V2_1)
CREATE_V2_55["properties"]["flavor"]["properties"]["description"] = _DESCRIPTION

UPDATE_V2_55: dict[str, Any] = {
    "type": "object",
    "properties": {
        "flavor": {
            "type": "object",
            "properties": {"description": _DESCRIPTION},
            "required": ["description"],
            "additionalProperties": False,
        },
    },
    "required": ["flavor"],
    "additionalProperties": False,
}

_INDEX_PARAMS = {
    **query.PAGINATION,
    "is_public": query.multi(query.STRING),
    "minRam": query.multi(query.STRING),
    "minDisk": query.multi(query.STRING),
    "sort_key": query.multi({"type": "string", "enum": SORT_KEYS}),
    "sort_dir": query.multi({"type": "string", "enum": SORT_DIRS}),
}
INDEX_QUERY_V2_1 = query.query_schema(_INDEX_PARAMS, strict=False)
INDEX_QUERY_V2_75 = query.query_schema(_INDEX_PARAMS, strict=True)

_SPEC_KEY = "^[a-zA-Z0-9-_:. ]{1,255}$"
_SPECS = {
    "type": "object",
    "patternProperties": {_SPEC_KEY: {"type": ["string", "number"], "maxLength": 255}},
    "additionalProperties": False,
}

EXTRA_SPECS_CREATE: dict[str, Any] = {
    "type": "object",
    "properties": {"extra_specs": _SPECS},
    "required": ["extra_specs"],
    "additionalProperties": False,
}
EXTRA_SPEC_UPDATE: dict[str, Any] = {**copy.deepcopy(_SPECS), "minProperties": 1,
                                     "maxProperties": 1}

_TENANT = {
    "type": "object",
    "properties": {"tenant": {"type": "string", "minLength": 1, "maxLength": 255}},
    "required": ["tenant"],
    "additionalProperties": False,
}
ADD_TENANT_ACCESS: dict[str, Any] = {
    "type": "object", "properties": {"addTenantAccess": _TENANT},
    "required": ["addTenantAccess"], "additionalProperties": False,
}
REMOVE_TENANT_ACCESS: dict[str, Any] = {
    "type": "object", "properties": {"removeTenantAccess": copy.deepcopy(_TENANT)},
    "required": ["removeTenantAccess"], "additionalProperties": False,
}

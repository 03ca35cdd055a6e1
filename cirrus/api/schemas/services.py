"""Request schemas of /os-services; released ones never change."""

import copy
from typing import Any

from cirrus.api.schemas import query

_HOST = {"type": "string", "minLength": 1, "maxLength": 255,
         "pattern": "^[a-zA-Z0-9-._]*$"}
_BINARY = {"type": "string", "minLength": 1, "maxLength": 255}
_REASON = {"type": "string", "minLength": 1, "maxLength": 255}

# Below 2.53 the service is named by host and binary in the body, the action in the path.
UPDATE_V2_1: dict[str, Any] = {
    "type": "object",
    "properties": {"host": _HOST, "binary": _BINARY, "disabled_reason": _REASON},
    "required": ["host", "binary"],
    "additionalProperties": False,
}
UPDATE_V2_11 = copy.deepcopy(UPDATE_V2_1)
UPDATE_V2_11["properties"]["forced_down"] = query.BOOLEAN

UPDATE_V2_53: dict[str, Any] = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["enabled", "disabled"]},
        "disabled_reason": _REASON,
        "forced_down": query.BOOLEAN,
    },
    "additionalProperties": False,
}

_INDEX_PARAMS = {"host": query.multi(query.STRING), "binary": query.multi(query.STRING)}
INDEX_QUERY_V2_1 = query.query_schema(_INDEX_PARAMS, strict=False)
INDEX_QUERY_V2_75 = query.query_schema(_INDEX_PARAMS, strict=True)

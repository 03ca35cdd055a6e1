"""Request and query schemas of /os-server-groups; released ones never change."""

import copy
from typing import Any

from cirrus.api.schemas import query

# Plus Nova's name rule (printable, no blank at the ends), checked by names.check_name.
_NAME = {"type": "string", "minLength": 1, "maxLength": 255}
_POLICIES_V2_1 = ["anti-affinity", "affinity"]
_POLICIES_V2_15 = [*_POLICIES_V2_1, "soft-anti-affinity", "soft-affinity"]

CREATE_V2_1: dict[str, Any] = {
    "type": "object",
    "properties": {
        "server_group": {
            "type": "object",
            "properties": {
                "name": _NAME,
                # Exactly one policy, in a list (it becomes a string at 2.64).
                "policies": {
                    "type": "array",
                    "items": [{"type": "string", "enum": _POLICIES_V2_1}],
                    "uniqueItems": True,
                    "minItems": 1,
                    "maxItems": 1,
                    "additionalItems": False,
                },
            },
            "required": ["name", "policies"],
            "additionalProperties": False,
        },
    },
    "required": ["server_group"],
    "additionalProperties": False,
}

CREATE_V2_15 = copy.deepcopy(CREATE_V2_1)
CREATE_V2_15["properties"]["server_group"]["properties"]["policies"]["items"][0]["enum"] = (
    list(_POLICIES_V2_15))

CREATE_V2_64 = copy.deepcopy(CREATE_V2_15)
_GROUP_V2_64 = CREATE_V2_64["properties"]["server_group"]
del _GROUP_V2_64["properties"]["policies"]
_GROUP_V2_64["required"] = ["name", "policy"]
_GROUP_V2_64["properties"]["policy"] = {"type": "string", "enum": list(_POLICIES_V2_15)}
_GROUP_V2_64["properties"]["rules"] = {
    "type": "object",
    "properties": {
        # A positive integer, given as a number or as digits.
        "max_server_per_host": {"type": ["integer", "string"], "pattern": "^[0-9]*$",
                                "minimum": 1, "minLength": 1},
    },
    "additionalProperties": False,
}

_PAGING = {"all_projects": query.multi(query.STRING), "limit": query.multi(query.NON_NEGATIVE_INT),
           "offset": query.multi(query.NON_NEGATIVE_INT)}
INDEX_QUERY_V2_1 = query.query_schema(_PAGING, strict=False)
INDEX_QUERY_V2_75 = query.query_schema(_PAGING, strict=True)

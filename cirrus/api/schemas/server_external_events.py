"""Request schemas of /os-server-external-events; released ones never change."""

import copy
from typing import Any

STATUSES = ["failed", "completed", "in-progress"]

CREATE_V2_1: dict[str, Any] = {
    "type": "object",
    "properties": {
        "events": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string",
                             "enum": ["network-changed", "network-vif-plugged",
                                      "network-vif-unplugged", "network-vif-deleted"]},
                    "server_uuid": {"type": "string", "format": "uuid"},
                    "status": {"type": "string", "enum": STATUSES},
                    "tag": {"type": "string", "maxLength": 255},
                },
                "required": ["name", "server_uuid"],
                "additionalProperties": False,
            },
        },
    },
    "required": ["events"],
    "additionalProperties": False,
}


def _with_name(base: dict[str, Any], name: str) -> dict[str, Any]:
    schema = copy.deepcopy(base)
    schema["properties"]["events"]["items"]["properties"]["name"]["enum"].append(name)
    return schema


CREATE_V2_51 = _with_name(CREATE_V2_1, "volume-extended")
CREATE_V2_76 = _with_name(CREATE_V2_51, "power-update")
CREATE_V2_82 = _with_name(CREATE_V2_76, "accelerator-request-bound")

# Events that mean nothing without the tag naming the volume, power state or request.
TAG_REQUIRED = frozenset({"volume-extended", "power-update", "accelerator-request-bound"})

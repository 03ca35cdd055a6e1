"""Request schemas of /servers/{id}/os-volume_attachments; released ones never change."""

import copy
from typing import Any

_UUID = {"type": "string", "format": "uuid"}
_DEVICE = {"type": ["string", "null"], "pattern": "(^/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$"}

CREATE_V2_1: dict[str, Any] = {
    "type": "object",
    "properties": {
        "volumeAttachment": {
            "type": "object",
            "properties": {"volumeId": _UUID, "device": _DEVICE},
            "required": ["volumeId"],
            "additionalProperties": False,
        },
    },
    "required": ["volumeAttachment"],
    "additionalProperties": False,
}
CREATE_V2_49 = copy.deepcopy(CREATE_V2_1)
CREATE_V2_49["properties"]["volumeAttachment"]["properties"]["tag"] = {
    "type": "string", "minLength": 1, "maxLength": 60, "pattern": "^[^,/]*$"}
CREATE_V2_79 = copy.deepcopy(CREATE_V2_49)
CREATE_V2_79["properties"]["volumeAttachment"]["properties"]["delete_on_termination"] = {
    "type": "boolean"}

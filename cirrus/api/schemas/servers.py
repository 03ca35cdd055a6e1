"""Request schemas of /servers, one per microversion range; released ones never change."""

import copy
from typing import Any

_NAME = {"type": "string", "minLength": 1, "maxLength": 255,
         "pattern": r"^(?![\s\S]*^\s)(?![\s\S]*\s$)[\s\S]*$"}
_REF = {"type": ["string", "integer"], "minLength": 1}
_UUID = {"type": "string", "format": "uuid"}
_META = {"type": "object", "additionalProperties": {"type": "string", "maxLength": 255},
         "patternProperties": {"^.{1,255}$": {"type": "string", "maxLength": 255}}}
_NETWORK_ITEM = {
    "type": "object",
    "properties": {"uuid": _UUID, "port": {"type": ["string", "null"], "format": "uuid"},
                   "fixed_ip": {"type": "string"}, "tag": {"type": "string"}},
    "additionalProperties": False,
}
_BDM = {
    "type": "object",
    "properties": {
        "uuid": {"type": "string"}, "boot_index": {"type": ["integer", "string", "null"]},
        "source_type": {"enum": ["image", "volume", "snapshot", "blank"]},
        "destination_type": {"enum": ["local", "volume"]},
        "delete_on_termination": {"type": ["boolean", "string"]},
        "volume_size": {"type": ["integer", "string", "null"]},
        "device_name": {"type": "string"}, "guest_format": {"type": "string"},
        "disk_bus": {"type": "string"}, "device_type": {"type": "string"},
        "volume_type": {"type": ["string", "null"]}, "tag": {"type": "string"},
        "no_device": {}, "boot_index_hint": {},
    },
    "additionalProperties": False,
}

CREATE_V2_1: dict[str, Any] = {
    "type": "object",
    "properties": {
        "server": {
            "type": "object",
            "properties": {
                "name": _NAME, "imageRef": {"type": "string"}, "flavorRef": _REF,
                "adminPass": {"type": "string"}, "metadata": _META,
                "networks": {"type": "array", "items": _NETWORK_ITEM},
                "OS-DCF:diskConfig": {"enum": ["AUTO", "MANUAL"]},
                "accessIPv4": {"type": "string", "format": "ipv4"},
                "accessIPv6": {"type": "string", "format": "ipv6"},
                "availability_zone": {"type": "string", "minLength": 1, "maxLength": 255},
                "block_device_mapping": {"type": "array"},
                "block_device_mapping_v2": {"type": "array", "items": _BDM},
                "config_drive": {"type": ["boolean", "string"]},
                "key_name": {"type": "string", "minLength": 1, "maxLength": 255},
                "min_count": {"type": ["integer", "string"], "minimum": 1},
                "max_count": {"type": ["integer", "string"], "minimum": 1},
                "return_reservation_id": {"type": ["boolean", "string"]},
                "security_groups": {"type": "array", "items": {
                    "type": "object", "properties": {"name": {"type": "string"}},
                    "additionalProperties": False}},
                "user_data": {"type": "string", "maxLength": 65535},
                "personality": {"type": "array", "items": {
                    "type": "object",
                    "properties": {"path": {"type": "string"},
                                   "contents": {"type": "string", "format": "base64"}},
                    "additionalProperties": False}},
            },
            "required": ["name", "flavorRef"],
            "additionalProperties": False,
        },
        "os:scheduler_hints": {"type": "object"},
        "OS-SCH-HNT:scheduler_hints": {"type": "object"},
    },
    "required": ["server"],
    "additionalProperties": False,
}

CREATE_V2_19 = copy.deepcopy(CREATE_V2_1)
CREATE_V2_19["properties"]["server"]["properties"]["description"] = {
    "type": ["string", "null"], "maxLength": 255}

CREATE_V2_37 = copy.deepcopy(CREATE_V2_19)
CREATE_V2_37["properties"]["server"]["properties"]["networks"] = {
    "oneOf": [{"type": "array", "items": _NETWORK_ITEM}, {"enum": ["none", "auto"]}]}
CREATE_V2_37["properties"]["server"]["required"].append("networks")

CREATE_V2_52 = copy.deepcopy(CREATE_V2_37)
CREATE_V2_52["properties"]["server"]["properties"]["tags"] = {
    "type": "array", "maxItems": 50,
    "items": {"type": "string", "minLength": 1, "maxLength": 60, "pattern": "^[^,/]*$"}}

CREATE_V2_57 = copy.deepcopy(CREATE_V2_52)
del CREATE_V2_57["properties"]["server"]["properties"]["personality"]

CREATE_V2_74 = copy.deepcopy(CREATE_V2_57)
CREATE_V2_74["properties"]["server"]["properties"]["host"] = {"type": "string"}
CREATE_V2_74["properties"]["server"]["properties"]["hypervisor_hostname"] = {"type": "string"}

CREATE_V2_90 = copy.deepcopy(CREATE_V2_74)
CREATE_V2_90["properties"]["server"]["properties"]["hostname"] = {
    "type": "string", "minLength": 1, "maxLength": 255}

UPDATE_V2_1: dict[str, Any] = {
    "type": "object",
    "properties": {"server": {
        "type": "object",
        "properties": {"name": _NAME, "accessIPv4": {"type": "string", "format": "ipv4"},
                       "accessIPv6": {"type": "string", "format": "ipv6"},
                       "OS-DCF:diskConfig": {"enum": ["AUTO", "MANUAL"]}},
        "additionalProperties": False}},
    "required": ["server"],
    "additionalProperties": False,
}
UPDATE_V2_19 = copy.deepcopy(UPDATE_V2_1)
UPDATE_V2_19["properties"]["server"]["properties"]["description"] = {
    "type": ["string", "null"], "maxLength": 255}
UPDATE_V2_90 = copy.deepcopy(UPDATE_V2_19)
UPDATE_V2_90["properties"]["server"]["properties"]["hostname"] = {
    "type": "string", "minLength": 1, "maxLength": 255}

REBOOT: dict[str, Any] = {
    "type": "object",
    "properties": {"reboot": {
        "type": "object",
        "properties": {"type": {"enum": ["HARD", "Hard", "hard", "SOFT", "Soft", "soft"]}},
        "required": ["type"], "additionalProperties": False}},
    "required": ["reboot"], "additionalProperties": False,
}

RESIZE: dict[str, Any] = {
    "type": "object",
    "properties": {"resize": {
        "type": "object",
        "properties": {"flavorRef": _REF, "OS-DCF:diskConfig": {"enum": ["AUTO", "MANUAL"]}},
        "required": ["flavorRef"], "additionalProperties": False}},
    "required": ["resize"], "additionalProperties": False,
}

# Below 2.56 a cold migration cannot name its destination, so any body but null is a 400.
MIGRATE_V2_1: dict[str, Any] = {
    "type": "object",
    "properties": {"migrate": {"type": "null"}},
    "required": ["migrate"], "additionalProperties": False,
}

MIGRATE_V2_56: dict[str, Any] = {
    "type": "object",
    "properties": {"migrate": {
        "type": ["object", "null"],
        "properties": {"host": {"type": ["string", "null"], "minLength": 1,
                                "maxLength": 255, "pattern": "^[a-zA-Z0-9-._]*$"}},
        "additionalProperties": False}},
    "required": ["migrate"], "additionalProperties": False,
}

CONFIRM_RESIZE: dict[str, Any] = {
    "type": "object",
    "properties": {"confirmResize": {"type": "null"}},
    "required": ["confirmResize"], "additionalProperties": False,
}

REVERT_RESIZE: dict[str, Any] = {
    "type": "object",
    "properties": {"revertResize": {"type": "null"}},
    "required": ["revertResize"], "additionalProperties": False,
}

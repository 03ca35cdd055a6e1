"""Request body schemas of the network API, as data; validators are built once at import."""

import copy
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import best_match

from cirrus import exception

UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
MAC_PATTERN = "^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$"
VNIC_TYPES = (
    "normal", "direct", "macvtap", "baremetal", "direct-physical", "virtio-forwarder",
    "smart-nic", "remote-managed", "vdpa",
)

_NAME = {"type": "string", "maxLength": 255}
_PROJECT = {"type": "string", "minLength": 1, "maxLength": 255}
_HOST = {"type": ["string", "null"], "maxLength": 255}

NETWORK_ATTRIBUTES: dict[str, Any] = {
    "name": _NAME,
    "description": _NAME,
    "admin_state_up": {"type": "boolean"},
    "shared": {"type": "boolean"},
    "mtu": {"type": "integer", "minimum": 68, "maximum": 65535},
    "provider:physical_network": {"type": ["string", "null"], "minLength": 1,
                                  "maxLength": 64},
    "tenant_id": _PROJECT,
    "project_id": _PROJECT,
}
CREATE_NETWORK: dict[str, Any] = {
    "type": "object",
    "properties": {
        "network": {
            "type": "object",
            "properties": NETWORK_ATTRIBUTES,
            "additionalProperties": False,
        },
    },
    "required": ["network"],
    "additionalProperties": False,
}

_FIXED_IP = {
    "type": "object",
    "properties": {
        "ip_address": {"type": "string", "maxLength": 64},
        "subnet_id": {"type": "string", "pattern": UUID_PATTERN},
    },
    "additionalProperties": False,
}
# Attributes a port update may change; creation adds the network, addresses and owner.
PORT_UPDATE_ATTRIBUTES: dict[str, Any] = {
    "name": _NAME,
    "description": _NAME,
    "admin_state_up": {"type": "boolean"},
    "device_id": _NAME,
    "device_owner": _NAME,
    "binding:host_id": _HOST,
    "binding:profile": {"type": ["object", "null"]},
    "binding:vnic_type": {"enum": list(VNIC_TYPES)},
}
PORT_CREATE_ATTRIBUTES: dict[str, Any] = {
    **PORT_UPDATE_ATTRIBUTES,
    "network_id": {"type": "string", "pattern": UUID_PATTERN},
    "mac_address": {"type": "string", "pattern": MAC_PATTERN},
    "fixed_ips": {"type": "array", "items": _FIXED_IP, "maxItems": 16},
    "resource_request": {"type": ["object", "null"]},
    "tenant_id": _PROJECT,
    "project_id": _PROJECT,
}
CREATE_PORT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "port": {
            "type": "object",
            "properties": PORT_CREATE_ATTRIBUTES,
            "required": ["network_id"],
            "additionalProperties": False,
        },
    },
    "required": ["port"],
    "additionalProperties": False,
}
UPDATE_PORT = copy.deepcopy(CREATE_PORT)
UPDATE_PORT["properties"]["port"]["properties"] = PORT_UPDATE_ATTRIBUTES
del UPDATE_PORT["properties"]["port"]["required"]

CREATE_BINDING: dict[str, Any] = {
    "type": "object",
    "properties": {
        "binding": {
            "type": "object",
            "properties": {
                "host": {"type": "string", "minLength": 1, "maxLength": 255},
                "vnic_type": {"enum": list(VNIC_TYPES)},
                "profile": {"type": "object"},
            },
            "required": ["host"],
            "additionalProperties": False,
        },
    },
    "required": ["binding"],
    "additionalProperties": False,
}

CREATE_NETWORK_VALIDATOR = Draft4Validator(CREATE_NETWORK)
CREATE_PORT_VALIDATOR = Draft4Validator(CREATE_PORT)
UPDATE_PORT_VALIDATOR = Draft4Validator(UPDATE_PORT)
CREATE_BINDING_VALIDATOR = Draft4Validator(CREATE_BINDING)


def validate(validator: Draft4Validator, body: Any) -> None:
    """Check ``body`` against a schema.

    Raises:
        Invalid: worded as Neutron words it, naming unknown attributes or the field and
            the reason it is wrong.
    """
    error = best_match(validator.iter_errors(body))
    if error is None:
        return
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        unknown = sorted(k for k in error.instance if k not in known)
        raise exception.Invalid("Unrecognized attribute(s) '" + ", ".join(unknown) + "'")
    if error.validator == "required":
        raise exception.Invalid(f"Failed to parse request. {error.message}")
    field = next((p for p in reversed(error.absolute_path) if isinstance(p, str)), "body")
    raise exception.Invalid(f"Invalid input for {field}. Reason: {error.message}.")

"""Request body schemas of the volume API, as data; validators are built once at import."""

from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import best_match

from cirrus import exception

UUID_PATTERN = "^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$"
_TEXT = {"type": ["string", "null"], "maxLength": 255}
_UUID = {"type": "string", "pattern": UUID_PATTERN}

CREATE_VOLUME: dict[str, Any] = {
    "type": "object",
    "properties": {
        "volume": {
            "type": "object",
            "properties": {
                "size": {
                    "oneOf": [
                        {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                        {"type": "string", "pattern": "^[1-9][0-9]{0,8}$"},
                    ],
                },
                "name": _TEXT,
                "description": _TEXT,
                "imageRef": {"type": ["string", "null"], "pattern": UUID_PATTERN},
                "volume_type": _TEXT,
                "availability_zone": _TEXT,
                "metadata": {
                    "type": "object",
                    "additionalProperties": {"type": "string", "maxLength": 255},
                },
                "multiattach": {"enum": [False]},
                "snapshot_id": {"type": "null"},
                "source_volid": {"type": "null"},
                "backup_id": {"type": "null"},
            },
            "required": ["size"],
            # Cinder tolerates other keys (legacy display_name and friends).
            "additionalProperties": True,
        },
        "OS-SCH-HNT:scheduler_hints": {"type": ["object", "null"]},
    },
    "required": ["volume"],
    "additionalProperties": False,
}

_CONNECTOR = {"type": "object"}
CREATE_ATTACHMENT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "attachment": {
            "type": "object",
            "properties": {
                "volume_uuid": _UUID,
                "instance_uuid": _UUID,
                "connector": {"type": ["object", "null"]},
                "mode": {"enum": ["rw", "ro"]},
            },
            "required": ["volume_uuid", "instance_uuid"],
            "additionalProperties": False,
        },
    },
    "required": ["attachment"],
    "additionalProperties": False,
}
UPDATE_ATTACHMENT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "attachment": {
            "type": "object",
            "properties": {"connector": _CONNECTOR},
            "required": ["connector"],
            "additionalProperties": False,
        },
    },
    "required": ["attachment"],
    "additionalProperties": False,
}
ATTACHMENT_ACTION: dict[str, Any] = {
    "type": "object",
    "properties": {"os-complete": {"type": ["null", "object"]}},
    "required": ["os-complete"],
    "additionalProperties": False,
}

CREATE_VOLUME_VALIDATOR = Draft4Validator(CREATE_VOLUME)
CREATE_ATTACHMENT_VALIDATOR = Draft4Validator(CREATE_ATTACHMENT)
UPDATE_ATTACHMENT_VALIDATOR = Draft4Validator(UPDATE_ATTACHMENT)
ATTACHMENT_ACTION_VALIDATOR = Draft4Validator(ATTACHMENT_ACTION)


def validate(validator: Draft4Validator, body: Any) -> None:
    """Check ``body`` against a schema.

    Raises:
        ValidationError: naming the field and what is wrong with it, as Cinder does.
    """
    error = best_match(validator.iter_errors(body))
    if error is None:
        return
    field = ".".join(str(p) for p in error.absolute_path) or "body"
    raise exception.ValidationError(field=field, reason=error.message)

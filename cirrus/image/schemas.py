"""Request body schemas of the image API, as data; validators are built once at import."""

import copy
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import best_match

from cirrus import exception

UUID_PATTERN = "^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$"

DISK_FORMATS = (
    "ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop",
)
CONTAINER_FORMATS = ("ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed")
VISIBILITIES = ("public", "private", "shared", "community")

# Set by the service only; a request naming one is refused with 403, as Glance does.
READ_ONLY = frozenset({
    "checksum", "created_at", "file", "os_hash_algo", "os_hash_value", "schema", "self",
    "size", "status", "updated_at", "virtual_size", "direct_url",
})
RESERVED = frozenset({"deleted", "deleted_at", "location", "locations", "stores"})
RESERVED_PREFIX = "os_glance"

_INT32 = {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}

IMAGE_ATTRIBUTES: dict[str, Any] = {
    "name": {"type": ["null", "string"], "maxLength": 255},
    "visibility": {"enum": list(VISIBILITIES)},
    "disk_format": {"enum": [None, *DISK_FORMATS]},
    "container_format": {"enum": [None, *CONTAINER_FORMATS]},
    "min_disk": _INT32,
    "min_ram": _INT32,
    "tags": {
        "type": "array",
        "maxItems": 128,
        "items": {"type": "string", "minLength": 1, "maxLength": 255},
    },
    "protected": {"type": "boolean"},
    "os_hidden": {"type": "boolean"},
    "owner": {"type": ["null", "string"], "maxLength": 255},
}
CORE = frozenset(IMAGE_ATTRIBUTES) | {"id"}

# Any other key is an extra property: Glance stores those as strings only.
IMAGE_V2: dict[str, Any] = {
    "type": "object",
    "properties": IMAGE_ATTRIBUTES,
    "additionalProperties": {"type": "string", "maxLength": 65535},
}

CREATE_IMAGE_V2 = copy.deepcopy(IMAGE_V2)
CREATE_IMAGE_V2["properties"]["id"] = {"type": "string", "pattern": UUID_PATTERN}

PATCH_V2_1: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {
            "op": {"enum": ["add", "replace", "remove"]},
            "path": {"type": "string", "pattern": "^/[^/]+$"},
            "value": {},
        },
        "required": ["op", "path"],
        "additionalProperties": False,
    },
}

PATCH_MEDIA_TYPES = (
    "application/openstack-images-v2.1-json-patch",
    "application/openstack-images-v2.0-json-patch",
)

IMAGE_VALIDATOR = Draft4Validator(IMAGE_V2)
CREATE_VALIDATOR = Draft4Validator(CREATE_IMAGE_V2)
PATCH_VALIDATOR = Draft4Validator(PATCH_V2_1)

# What GET /v2/schemas/image answers: enough for clients that only read property names.
IMAGE_SCHEMA_DOCUMENT: dict[str, Any] = {
    "name": "image",
    "properties": {
        **IMAGE_ATTRIBUTES,
        "id": {"type": "string", "pattern": UUID_PATTERN},
        "status": {
            "enum": [
                "queued", "saving", "active", "killed", "deleted", "pending_delete",
                "deactivated", "uploading", "importing",
            ],
            "readOnly": True,
        },
        "size": {"type": ["null", "integer"], "readOnly": True},
        "virtual_size": {"type": ["null", "integer"], "readOnly": True},
        "checksum": {"type": ["null", "string"], "readOnly": True},
        "os_hash_algo": {"type": ["null", "string"], "readOnly": True},
        "os_hash_value": {"type": ["null", "string"], "readOnly": True},
        "created_at": {"type": "string", "readOnly": True},
        "updated_at": {"type": "string", "readOnly": True},
        "self": {"type": "string", "readOnly": True},
        "file": {"type": "string", "readOnly": True},
        "schema": {"type": "string", "readOnly": True},
    },
    "additionalProperties": {"type": "string"},
    "links": [
        {"rel": "self", "href": "{self}"},
        {"rel": "enclosure", "href": "{file}"},
        {"rel": "describedby", "href": "{schema}"},
    ],
}
IMAGES_SCHEMA_DOCUMENT: dict[str, Any] = {
    "name": "images",
    "properties": {
        "images": {"type": "array", "items": IMAGE_SCHEMA_DOCUMENT},
        "schema": {"type": "string"},
        "first": {"type": "string"},
        "next": {"type": "string"},
    },
    "links": [
        {"rel": "first", "href": "{first}"},
        {"rel": "next", "href": "{next}"},
        {"rel": "describedby", "href": "{schema}"},
    ],
}


def validate(validator: Draft4Validator, body: Any, schema_name: str) -> None:
    """Check ``body`` against a schema.

    Raises:
        Invalid: with the most relevant violation, worded as Glance words it.
    """
    error = best_match(validator.iter_errors(body))
    if error is not None:
        raise exception.Invalid(
            f"Provided object does not match schema '{schema_name}': {error.message}"
        )

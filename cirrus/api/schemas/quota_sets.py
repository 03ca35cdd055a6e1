"""Request schemas of /os-quota-sets and /limits; released ones never change."""

import copy
from typing import Any

from cirrus.api.schemas import query

MAX_INT = 0x7FFFFFFF
# -1 means unlimited.
_QUOTA = {"type": ["integer", "string"], "pattern": "^-?[0-9]+$", "minimum": -1,
          "maximum": MAX_INT}
_RESOURCES_V2_1 = ("instances", "cores", "ram", "floating_ips", "fixed_ips", "metadata_items",
                   "key_pairs", "security_groups", "security_group_rules", "injected_files",
                   "injected_file_content_bytes", "injected_file_path_bytes",
                   "server_groups", "server_group_members")
_GONE_2_36 = ("fixed_ips", "floating_ips", "security_groups", "security_group_rules")
_GONE_2_57 = ("injected_files", "injected_file_content_bytes", "injected_file_path_bytes")


def _update(names: tuple[str, ...]) -> dict[str, Any]:
    props: dict[str, Any] = {n: copy.deepcopy(_QUOTA) for n in names}
    props["force"] = query.BOOLEAN
    return {
        "type": "object",
        "properties": {"quota_set": {"type": "object", "properties": props,
                                     "additionalProperties": False}},
        "required": ["quota_set"],
        "additionalProperties": False,
    }


UPDATE_V2_1 = _update(_RESOURCES_V2_1)
UPDATE_V2_36 = _update(tuple(n for n in _RESOURCES_V2_1 if n not in _GONE_2_36))
UPDATE_V2_57 = _update(tuple(n for n in _RESOURCES_V2_1
                             if n not in _GONE_2_36 and n not in _GONE_2_57))

_USER = {"user_id": query.multi(query.STRING)}
SHOW_QUERY_V2_1 = query.query_schema(_USER, strict=False)
SHOW_QUERY_V2_75 = query.query_schema(_USER, strict=True)

_TENANT = {"tenant_id": query.multi(query.STRING)}
LIMITS_QUERY_V2_1 = query.query_schema(_TENANT, strict=False)
LIMITS_QUERY_V2_75 = query.query_schema(_TENANT, strict=True)

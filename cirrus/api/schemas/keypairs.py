"""Request and query schemas of /os-keypairs; released ones never change."""

import copy
from typing import Any

from cirrus.api.schemas import query

# Plus Nova's name rule (printable, no blank at the ends), checked by names.check_name.
_NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[_\- a-zA-Z0-9]+$"}

CREATE_V2_1: dict[str, Any] = {
    "type": "object",
    "properties": {
        "keypair": {
            "type": "object",
            "properties": {"name": _NAME, "public_key": {"type": "string"}},
            "required": ["name"],
            "additionalProperties": False,
        },
    },
    "required": ["keypair"],
    "additionalProperties": False,
}
CREATE_V2_2 = copy.deepcopy(CREATE_V2_1)
CREATE_V2_2["properties"]["keypair"]["properties"]["type"] = {
    "type": "string", "enum": ["ssh", "x509"]}
CREATE_V2_10 = copy.deepcopy(CREATE_V2_2)
CREATE_V2_10["properties"]["keypair"]["properties"]["user_id"] = {"type": "string"}

_USER = {"user_id": query.multi(query.STRING)}
INDEX_QUERY_V2_1 = query.query_schema({}, strict=False)
INDEX_QUERY_V2_10 = query.query_schema(_USER, strict=False)
INDEX_QUERY_V2_35 = query.query_schema({**_USER, **query.PAGINATION}, strict=False)
INDEX_QUERY_V2_75 = query.query_schema({**_USER, **query.PAGINATION}, strict=True)

ITEM_QUERY_V2_1 = query.query_schema({}, strict=False)
ITEM_QUERY_V2_10 = query.query_schema(_USER, strict=False)
ITEM_QUERY_V2_75 = query.query_schema(_USER, strict=True)

"""Query schemas of GET /os-migrations by microversion (released ones never change)."""

import copy
from typing import Any

from cirrus.api.schemas.query import DATE_TIME, PAGINATION, STRING, multi, query_schema

_V2_1_PARAMS: dict[str, Any] = {
    name: multi(STRING) for name in ("hidden", "host", "instance_uuid", "source_compute",
                                     "status", "migration_type")
}
# Below 2.59 Nova tolerates unknown parameters; from 2.59 they are a 400.
INDEX_QUERY_V2_1 = query_schema(_V2_1_PARAMS, strict=False)
_V2_59_PARAMS = {**copy.deepcopy(_V2_1_PARAMS), **PAGINATION,
                 "changes-since": multi(DATE_TIME)}
INDEX_QUERY_V2_59 = query_schema(_V2_59_PARAMS, strict=True)
_V2_66_PARAMS = {**copy.deepcopy(_V2_59_PARAMS), "changes-before": multi(DATE_TIME)}
INDEX_QUERY_V2_66 = query_schema(_V2_66_PARAMS, strict=True)
_V2_80_PARAMS = {**copy.deepcopy(_V2_66_PARAMS), "user_id": multi(STRING),
                 "project_id": multi(STRING)}
INDEX_QUERY_V2_80 = query_schema(_V2_80_PARAMS, strict=True)

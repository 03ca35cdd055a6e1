"""Query schemas of /os-hypervisors; released ones never change."""

from cirrus.api.schemas import query

_FQDN = {"type": "string", "pattern": "^[a-zA-Z0-9-._]*$", "minLength": 1, "maxLength": 255}

INDEX_QUERY_V2_1 = query.query_schema({}, strict=False)
INDEX_QUERY_V2_33 = query.query_schema(query.PAGINATION, strict=False)
INDEX_QUERY_V2_53 = query.query_schema({
    "limit": query.single(query.NON_NEGATIVE_INT),
    "marker": query.single(query.STRING),
    "hypervisor_hostname_pattern": query.single(_FQDN),
    "with_servers": query.single(query.BOOLEAN),
}, strict=True)

SHOW_QUERY_V2_1 = query.query_schema({}, strict=False)
SHOW_QUERY_V2_53 = query.query_schema({"with_servers": query.single(query.BOOLEAN)},
                                      strict=True)

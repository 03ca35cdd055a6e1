"""Query schemas of /servers/{id}/os-instance-actions; released ones never change."""

from cirrus.api.schemas import query

_V2_58 = {
    "limit": query.single(query.NON_NEGATIVE_INT),
    "marker": query.single(query.STRING),
    "changes-since": query.single(query.DATE_TIME),
}
INDEX_QUERY_V2_1 = query.query_schema({}, strict=False)
INDEX_QUERY_V2_58 = query.query_schema(_V2_58, strict=True)
INDEX_QUERY_V2_66 = query.query_schema(
    {**_V2_58, "changes-before": query.single(query.DATE_TIME)}, strict=True)

"""The generated OpenAPI document covers every route and embeds the request schemas."""

import jsonschema

from cirrus.api import handler, openapi


def test_every_route_is_documented():
    doc = openapi.document()
    for template, handlers in handler.ROUTES:
        assert set(doc["paths"][template]) == {m.lower() for m in handlers}
    assert doc["info"]["version"] == "2.90"


def test_request_schemas_are_valid_json_schema():
    doc = openapi.document()
    create = doc["paths"]["/v2.1/servers"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]
    jsonschema.Draft4Validator.check_schema(create)
    assert "server" in create["required"]

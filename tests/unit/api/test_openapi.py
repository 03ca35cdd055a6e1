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


def test_server_group_create_is_documented_at_2_64_with_200():
    post = openapi.document()["paths"]["/v2.1/os-server-groups"]["post"]
    assert "200" in post["responses"] and "202" not in post["responses"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    jsonschema.Draft4Validator.check_schema(schema)
    assert schema["properties"]["server_group"]["required"] == ["name", "policy"]

"""JSON schemas of identity request bodies, with their validators built once."""

from typing import Any

import jsonschema

from cirrus import exception

_NAME = {"type": "string", "minLength": 1, "maxLength": 255}
_ID = {"type": "string", "minLength": 1, "maxLength": 64}

_DOMAIN_REF = {
    "type": "object",
    "properties": {"id": _ID, "name": _NAME},
    "anyOf": [{"required": ["id"]}, {"required": ["name"]}],
}

_PASSWORD_USER = {
    "type": "object",
    "properties": {
        "id": _ID,
        "name": _NAME,
        "domain": _DOMAIN_REF,
        "password": {"type": "string", "maxLength": 4096},
    },
    "required": ["password"],
    "anyOf": [{"required": ["id"]}, {"required": ["name"]}],
}

_PROJECT_REF = {
    "type": "object",
    "properties": {"id": _ID, "name": _NAME, "domain": _DOMAIN_REF},
    "anyOf": [{"required": ["id"]}, {"required": ["name", "domain"]}],
}

# POST /v3/auth/tokens, the password and token methods with an optional project scope.
AUTH_TOKENS_V3: dict[str, Any] = {
    "type": "object",
    "required": ["auth"],
    "properties": {
        "auth": {
            "type": "object",
            "required": ["identity"],
            "properties": {
                "identity": {
                    "type": "object",
                    "required": ["methods"],
                    "properties": {
                        "methods": {
                            "type": "array",
                            "items": {"type": "string"},
                            "minItems": 1,
                        },
                        "password": {
                            "type": "object",
                            "required": ["user"],
                            "properties": {"user": _PASSWORD_USER},
                        },
                        "token": {
                            "type": "object",
                            "required": ["id"],
                            "properties": {"id": {"type": "string", "minLength": 1}},
                        },
                    },
                },
                "scope": {
                    "oneOf": [
                        {"type": "string", "enum": ["unscoped"]},
                        {
                            "type": "object",
                            "properties": {
                                "project": _PROJECT_REF,
                                "domain": {"type": "object"},
                                "system": {"type": "object"},
                            },
                        },
                    ]
                },
            },
        }
    },
}

_AUTH_TOKENS_V3 = jsonschema.Draft202012Validator(AUTH_TOKENS_V3)


def validate_auth(body: Any) -> dict[str, Any]:
    """The ``auth`` object of a token request, checked against the schema.

    Raises:
        Invalid: the body does not match; the message names the offending field.
    """
    error = jsonschema.exceptions.best_match(_AUTH_TOKENS_V3.iter_errors(body))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "body"
        raise exception.Invalid(f"Invalid input for field '{where}': {_describe(error)}")
    auth: dict[str, Any] = body["auth"]
    return auth


def _describe(error: jsonschema.exceptions.ValidationError) -> str:
    # NOTE: jsonschema's own messages quote the offending value, which here can be a
    # password; describe the rule that failed instead.
    kind = error.validator
    if kind == "required":
        return str(error.message)
    if kind == "type":
        return f"expected {error.validator_value}"
    if kind in ("anyOf", "oneOf"):
        options = [
            " and ".join(alt["required"]) if "required" in alt else alt.get("type", "?")
            for alt in error.validator_value
        ]
        return "needs one of: " + "; ".join(str(o) for o in options)
    if kind in ("minLength", "maxLength", "minItems"):
        return f"violates {kind} {error.validator_value}"
    if kind == "enum":
        return "must be one of " + ", ".join(str(v) for v in error.validator_value)
    return f"fails the '{kind}' rule"

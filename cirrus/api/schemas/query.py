"""Query-string schemas: shared parameter types and validation with Nova's messages.

Query parameters are validated as ``{name: [values...]}`` because a parameter may be
repeated; ``single`` parameters allow one value only.
"""

import copy
import datetime
from typing import Any

import falcon
import jsonschema

from cirrus import exception

NON_NEGATIVE_INT: dict[str, Any] = {
    "type": ["integer", "string"], "pattern": "^[0-9]*$", "minimum": 0, "minLength": 1}
BOOLEAN: dict[str, Any] = {
    "type": ["boolean", "string"],
    "enum": [True, "True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes",
             False, "False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No", "no"],
}
STRING: dict[str, Any] = {"type": "string"}
DATE_TIME: dict[str, Any] = {"type": "string", "format": "date-time"}


def multi(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter that may be given several times."""
    return {"type": "array", "items": copy.deepcopy(schema)}


def single(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter that may be given once."""
    return {**multi(schema), "maxItems": 1}


PAGINATION: dict[str, Any] = {"limit": multi(NON_NEGATIVE_INT), "marker": multi(STRING)}


def query_schema(properties: dict[str, Any], *, strict: bool) -> dict[str, Any]:
    """An object schema of query parameters; ``strict`` rejects unknown ones (2.75+)."""
    return {"type": "object", "properties": copy.deepcopy(properties),
            "additionalProperties": not strict}


def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parse_isotime(value)
    return True


_FORMATS = jsonschema.FormatChecker(formats=())
_FORMATS.checks("date-time", raises=ValueError)(_is_datetime)


def parse_isotime(value: str) -> datetime.datetime:
    """A naive UTC datetime from an ISO 8601 string (``Z`` or an offset allowed).

    Raises:
        ValueError: not an ISO 8601 timestamp.
    """
    parsed = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(datetime.UTC).replace(tzinfo=None)
    return parsed


def query_validator(schema: dict[str, Any]) -> jsonschema.Draft4Validator:
    """A validator for a query schema, checked against the meta-schema once, here."""
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=_FORMATS)


def params_of(req: falcon.Request) -> dict[str, list[str]]:
    """The query string as ``{name: [values]}``."""
    out: dict[str, list[str]] = {}
    for key, value in req.params.items():
        out[key] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return out


def validate_query(v: jsonschema.Draft4Validator, req: falcon.Request) -> dict[str, list[str]]:
    """Check the query string; returns it as ``{name: [values]}``.

    Raises:
        ValidationError: the first problem, in Nova's words.
    """
    params = params_of(req)
    # NOTE: Nova reports the first error the validator yields, not the "best" one.
    error = next(iter(v.iter_errors(params)), None)
    if error is None:
        return params
    if error.path:
        name = error.path[0]
        message = (f"Invalid input for query parameters {name}. Value: {error.instance}. "
                   f"{error.message}")
    else:
        message = error.message
    raise exception.ValidationError(message)


def last(params: dict[str, list[str]], name: str) -> str | None:
    """The value of a parameter (the last one when repeated), or None."""
    values = params.get(name)
    return values[-1] if values else None


_TRUE = ("1", "t", "true", "on", "y", "yes")
_FALSE = ("0", "f", "false", "off", "n", "no")


def strict_bool(value: object) -> bool | None:
    """oslo's strict boolean parse; None when ``value`` is not a boolean word."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None

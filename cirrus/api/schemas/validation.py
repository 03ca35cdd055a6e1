"""jsonschema validation with Nova's error messages; validators are built once."""

import base64
import binascii
from typing import Any

import jsonschema

from cirrus import exception


def _is_base64(instance: object) -> bool:
    # As lenient as Nova (a decoder that skips stray characters), so that what one
    # accepts the other does too.
    if isinstance(instance, str):
        base64.decodebytes(instance.encode("utf-8"))
    return True


_FORMATS = jsonschema.FormatChecker()
_FORMATS.checks("base64", raises=(binascii.Error, ValueError))(_is_base64)


def validator(schema: dict[str, Any]) -> jsonschema.Draft4Validator:
    """A validator for ``schema``, checked against the meta-schema once, here."""
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=_FORMATS)


def _field(error: jsonschema.ValidationError) -> str:
    # Nova names the innermost property (``flavorRef``, not ``server/flavorRef``).
    path = [str(p) for p in error.absolute_path if not isinstance(p, int)]
    return path[-1] if path else "body"


def validate(v: jsonschema.Draft4Validator, body: Any) -> None:
    """Raise a 400 in Nova's words for the first problem in ``body``."""
    error = jsonschema.exceptions.best_match(v.iter_errors(body))
    if error is None:
        return
    if error.validator in ("required", "additionalProperties"):
        message = error.message
    else:
        message = (f"Invalid input for field/attribute {_field(error)}. Value: "
                   f"{error.instance}. {error.message}")
    raise exception.ValidationError(message)

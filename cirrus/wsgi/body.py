"""Request body parsing with Nova's error messages."""

import json
from typing import Any

import falcon

from cirrus import exception


def read_json(req: falcon.Request, *, required: bool = True) -> Any:
    """The decoded JSON body.

    Raises:
        Invalid: the body is missing (when required) or is not JSON.
    """
    raw = req.bounded_stream.read()
    if not raw:
        if required:
            raise exception.Invalid("The request body is empty or malformed.")
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise exception.Invalid("Malformed request body") from exc

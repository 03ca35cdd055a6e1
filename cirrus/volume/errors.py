"""Error bodies of the volume API: Cinder writes Nova's format (``{"itemNotFound": ...}``)."""

from typing import Any

import falcon
from sqlalchemy import exc as sa_exc

from cirrus import exception
from cirrus.wsgi import faults


def handle_error(
    req: falcon.Request, resp: falcon.Response, ex: BaseException, params: Any
) -> None:
    """Write any exception as a Cinder fault, database refusals included."""
    # A value the database refuses (out of range, bytes it cannot store) is the client's
    # mistake; a lost race on a unique key is a conflict, worth retrying.
    if isinstance(ex, sa_exc.DataError | OverflowError):
        ex = exception.Invalid("Invalid input: a value is out of range or not storable.")
    elif isinstance(ex, sa_exc.IntegrityError):
        ex = exception.Conflict("Another request changed the same resource; retry.")
    faults.nova_error_handler(req, resp, ex, params)

"""Error bodies in Glance's format: ``{"code": "404 Not Found", "title": ..., "message": ...}``."""

import logging
from typing import Any

import falcon
from sqlalchemy import exc as sa_exc

from cirrus import exception
from cirrus.wsgi import faults

LOG = logging.getLogger(__name__)

_FALCON_MESSAGES = {
    404: "The resource could not be found.",
    405: "The method is not allowed for the requested URL.",
}


def _status_and_message(ex: BaseException) -> tuple[int, str]:
    if isinstance(ex, exception.CirrusException):
        return ex.code, ex.message
    if isinstance(ex, falcon.HTTPError):
        code = int(ex.status_code)
        return code, ex.description or _FALCON_MESSAGES.get(code) or str(ex.title)
    # A value the database (or its driver) refuses, out of range or not storable, is the
    # client's mistake; a lost race on a unique key is a conflict, worth retrying.
    if isinstance(ex, sa_exc.DataError | OverflowError):
        return 400, "Invalid input: a value is out of range or not storable."
    if isinstance(ex, sa_exc.IntegrityError):
        return 409, "Another request changed the same resource; retry."
    LOG.exception("Unexpected error in the image service")
    return 500, "The server has either erred or is incapable of performing the requested operation."


def handle_error(
    req: falcon.Request, resp: falcon.Response, ex: BaseException, params: Any
) -> None:
    """Write any exception as a Glance error; a 401 keeps the identity middleware's body."""
    code, message = _status_and_message(ex)
    if code == 401:
        faults.nova_error_handler(req, resp, ex, params)
        return
    status = falcon.code_to_http_status(code)
    resp.status = status
    resp.media = {"code": status, "title": status.partition(" ")[2], "message": message}
    if isinstance(ex, falcon.HTTPMethodNotAllowed) and ex.headers:
        resp.set_header("Allow", dict(ex.headers).get("Allow", ""))

"""Error bodies in Neutron's format: ``{"NeutronError": {"type", "message", "detail"}}``."""

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

# Generic exceptions take the type Neutron gives a bare HTTP error ("HTTPNotFound"); the
# specific ones keep their own name, which Neutron's clients match on.
_GENERIC = (
    exception.CirrusException, exception.Invalid, exception.ValidationError,
    exception.NotFound, exception.Forbidden, exception.Conflict,
)


def _describe(ex: BaseException) -> tuple[int, str, str]:
    if isinstance(ex, exception.CirrusException):
        code, message = ex.code, ex.message
        if type(ex) not in _GENERIC:
            return code, type(ex).__name__, message
    elif isinstance(ex, falcon.HTTPError):
        code = int(ex.status_code)
        message = ex.description or _FALCON_MESSAGES.get(code) or str(ex.title)
    elif isinstance(ex, sa_exc.DataError | OverflowError):
        # A value the database refuses (out of range, bytes it cannot store) is the
        # client's mistake.
        code, message = 400, "Invalid input: a value is out of range or not storable."
    elif isinstance(ex, sa_exc.IntegrityError):
        code, message = 409, "Another request changed the same resource; retry."
    else:
        LOG.exception("Unexpected error in the network service")
        code, message = 500, "Request Failed: internal server error while processing your request."
    title = falcon.code_to_http_status(code).partition(" ")[2]
    return code, "HTTP" + title.replace(" ", "").replace("-", ""), message


def handle_error(
    req: falcon.Request, resp: falcon.Response, ex: BaseException, params: Any
) -> None:
    """Write any exception as a Neutron error; a 401 keeps the identity middleware's body."""
    code, kind, message = _describe(ex)
    if code == 401:
        faults.nova_error_handler(req, resp, ex, params)
        return
    resp.status = falcon.code_to_http_status(code)
    resp.media = {"NeutronError": {"type": kind, "message": message, "detail": ""}}
    if isinstance(ex, falcon.HTTPMethodNotAllowed) and ex.headers:
        resp.set_header("Allow", dict(ex.headers).get("Allow", ""))

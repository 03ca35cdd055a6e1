"""Nova-format fault bodies, and the error handler that produces them for any exception."""

import logging
from typing import Any

import falcon

from cirrus import exception

LOG = logging.getLogger(__name__)

FAULT_NAMES = {
    400: "badRequest",
    401: "unauthorized",
    403: "forbidden",
    404: "itemNotFound",
    405: "badMethod",
    409: "conflictingRequest",
    413: "overLimit",
    415: "badMediaType",
    429: "overLimit",
    501: "notImplemented",
    503: "serviceUnavailable",
}

_FALCON_MESSAGES = {
    404: "The resource could not be found.",
    405: "The method is not allowed for the requested URL.",
    415: "Unsupported Content-Type",
}


def fault_body(code: int, message: str) -> dict[str, Any]:
    """``{"<faultName>": {"code": ..., "message": ...}}`` as Nova writes it."""
    return {FAULT_NAMES.get(code, "computeFault"): {"code": code, "message": message}}


def _status_and_message(ex: BaseException) -> tuple[int, str]:
    if isinstance(ex, exception.CirrusException):
        return ex.code, ex.message
    if isinstance(ex, falcon.HTTPError):
        code = int(ex.status_code)
        return code, ex.description or _FALCON_MESSAGES.get(code) or str(ex.title)
    return 500, "Unexpected API Error. Please report this at your cloud's support desk."


def nova_error_handler(
    req: falcon.Request, resp: falcon.Response, ex: BaseException, _params: Any
) -> None:
    """Write any exception as a Nova fault; unexpected ones are logged with their trace."""
    code, message = _status_and_message(ex)
    if code >= 500 and not isinstance(ex, exception.CirrusException):
        LOG.exception("Unexpected error in %s %s", req.method, req.path)
    if code == 401:
        _write_unauthorized(req, resp, message)
        return
    resp.status = falcon.code_to_http_status(code)
    resp.media = fault_body(code, message)
    if isinstance(ex, falcon.HTTPMethodNotAllowed):
        allow = dict(ex.headers or {}).get("Allow", "")
        resp.set_header("Allow", allow)


def _write_unauthorized(req: falcon.Request, resp: falcon.Response, message: str) -> None:
    # NOTE: 401s come from keystonemiddleware in a real deployment, so they carry its body
    # and its WWW-Authenticate header, not a Nova fault.
    del message
    resp.status = falcon.HTTP_401
    resp.media = {
        "error": {
            "code": 401,
            "title": "Unauthorized",
            "message": "The request you have made requires authentication.",
        }
    }
    identity = req.context.get("identity_uri") if req.context else None
    if identity:
        resp.set_header("WWW-Authenticate", f'Keystone uri="{identity}"')

"""The identity WSGI app: a Keystone v3 subset for the openstack CLI and keystoneauth.

Routes are relative to wherever the app is mounted (``/identity`` in the all-in-one).
Errors are written in Keystone's body format, ``{"error": {"code", "title", "message"}}``,
not Nova's, because identity clients parse that one.
"""

import logging
from typing import Any

import falcon
from oslo_config import cfg

from cirrus import exception
from cirrus.db.engine import EngineRegistry
from cirrus.identity import catalog, handlers
from cirrus.wsgi import auth as wsgi_auth
from cirrus.wsgi import routes as wsgi_routes

LOG = logging.getLogger(__name__)

# Served without X-Auth-Token: discovery, and the token resource, whose handlers check
# the caller's token themselves (POST needs none; GET/HEAD/DELETE answer 404, not 401,
# for a bad subject token).
PUBLIC_PATHS = (r"^/$", r"^/v3/?$", r"^/v3/auth/tokens/?$")

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    415: "Unsupported Media Type",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
_FALCON_MESSAGES = {
    404: "The resource could not be found.",
    405: "The method is not allowed for the requested URL.",
}
_UNAUTHORIZED = "The request you have made requires authentication."
_INTERNAL = "An unexpected error prevented the server from fulfilling your request."


def route_table(svc: handlers.Service) -> wsgi_routes.RouteTable:
    """Every identity URL and its handlers."""
    h = handlers

    def b(fn: Any) -> wsgi_routes.Handler:
        return h.bind(svc, fn)

    return [
        ("/", {"GET": b(h.get_versions)}),
        ("/v3", {"GET": b(h.get_version)}),
        (
            "/v3/auth/tokens",
            {
                "POST": b(h.create_token),
                "GET": b(h.validate_token),
                "HEAD": b(h.check_token),
                "DELETE": b(h.revoke_token),
            },
        ),
        ("/v3/auth/projects", {"GET": b(h.list_auth_projects)}),
        ("/v3/users", {"GET": b(h.list_users)}),
        ("/v3/users/{user_id}", {"GET": b(h.get_user)}),
        ("/v3/users/{user_id}/projects", {"GET": b(h.list_user_projects)}),
        ("/v3/projects", {"GET": b(h.list_projects)}),
        ("/v3/projects/{project_id}", {"GET": b(h.get_project)}),
        ("/v3/roles", {"GET": b(h.list_roles)}),
    ]


class AsciiTokenGuard:
    """Refuse a non-ASCII X-Auth-Token with a 401 before the token check sees it.

    Args:
        identity_uri: advertised in WWW-Authenticate on the 401.
    """

    def __init__(self, identity_uri: str) -> None:
        self._identity_uri = identity_uri

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Reject the request when its token cannot be a token at all."""
        del resp
        # NOTE: the shared token check compares signatures with hmac.compare_digest, which
        # raises TypeError (a 500) on non-ASCII text instead of reporting a mismatch.
        token = req.get_header("X-Auth-Token")
        if token and not token.isascii():
            req.context["identity_uri"] = self._identity_uri
            raise exception.InvalidToken(reason="malformed")


def _status_and_message(ex: BaseException) -> tuple[int, str]:
    if isinstance(ex, exception.CirrusException):
        return ex.code, ex.message
    if isinstance(ex, falcon.HTTPError):
        code = int(ex.status_code)
        return code, ex.description or _FALCON_MESSAGES.get(code) or str(ex.title)
    return 500, _INTERNAL


def keystone_error_handler(
    req: falcon.Request, resp: falcon.Response, ex: BaseException, _params: Any
) -> None:
    """Write any exception in Keystone's error format; unexpected ones are logged."""
    code, message = _status_and_message(ex)
    if code >= 500 and not isinstance(ex, exception.CirrusException):
        LOG.exception("Unexpected error in %s %s", req.method, req.path)
        message = _INTERNAL
    if code == 401:
        # One message for every authentication failure: nothing to learn from it.
        message = _UNAUTHORIZED
        identity_uri = req.context.get("identity_uri") if req.context else None
        if identity_uri:
            resp.set_header("WWW-Authenticate", f'Keystone uri="{identity_uri}"')
    resp.status = falcon.code_to_http_status(code)
    resp.media = {"error": {"code": code, "title": _TITLES.get(code, "Error"), "message": message}}
    if isinstance(ex, falcon.HTTPMethodNotAllowed):
        allow = dict(ex.headers or {}).get("Allow")
        if allow:
            resp.set_header("Allow", allow)


def loadapp(
    conf: cfg.ConfigOpts, engines: EngineRegistry, api_db_url: str
) -> falcon.App[falcon.Request, falcon.Response]:
    """Build the identity app.

    Args:
        conf: configuration; reads ``[token]`` and ``[keystone]``.
        engines: the process's engine registry.
        api_db_url: the API database, which holds users, projects and roles.

    Raises:
        ValueError: ``[token] signing_key`` is not set.
    """
    key = conf.token.signing_key
    if not key:
        raise ValueError("[token] signing_key must be set")
    svc = handlers.Service(conf=conf, engines=engines, db_url=api_db_url, signing_key=key)
    # NOTE: Falcon runs process_request in list order: the request id comes first so that
    # an early 401 from the token check still carries one.
    identity_uri = catalog.identity_url(conf)
    middleware = [
        wsgi_auth.RequestIdMiddleware(),
        AsciiTokenGuard(identity_uri),
        wsgi_auth.TokenAuthMiddleware(key, identity_uri, PUBLIC_PATHS),
    ]
    return wsgi_routes.build_app(route_table(svc), middleware, keystone_error_handler)

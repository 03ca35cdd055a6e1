"""The app shape every global service shares: its collaborators, request ids, tokens."""

from collections.abc import Callable, Sequence
from typing import Any

import falcon
from oslo_config import cfg

from cirrus.wsgi.auth import RequestIdMiddleware, TokenAuthMiddleware
from cirrus.wsgi.routes import RouteTable, build_app


class ServicesMiddleware:
    """Hands a service's collaborators to its handlers through the request context."""

    def __init__(self, services: object) -> None:
        self._services = services

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Attach the collaborators before any handler runs."""
        del resp
        req.context["services"] = self._services


def build_service_app(
    name: str,
    conf: cfg.ConfigOpts,
    services: object,
    routes: RouteTable,
    public_paths: Sequence[str],
    error_handler: Callable[[falcon.Request, falcon.Response, BaseException, Any], None],
    extra_middleware: Sequence[object] = (),
) -> "falcon.App[falcon.Request, falcon.Response]":
    """Build the WSGI app of the global service ``name``.

    NOTE: middleware runs in list order on the way in: the collaborators first, so every
    handler (error handlers included) can count on them; then the request id, which token
    validation copies into the request context; then any middleware of the service's own.

    Raises:
        ValueError: no token signing key is configured.
    """
    if not conf.token.signing_key:
        raise ValueError(f"[token] signing_key is required by the {name} service")
    identity_uri = conf.keystone.endpoint_override or f"{conf.keystone.public_endpoint}/identity"
    middleware = [
        ServicesMiddleware(services),
        RequestIdMiddleware(),
        TokenAuthMiddleware(conf.token.signing_key, identity_uri, public_paths),
        *extra_middleware,
    ]
    return build_app(routes, middleware, error_handler)

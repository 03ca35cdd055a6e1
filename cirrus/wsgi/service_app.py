"""The app shape every global service shares: its collaborators, request ids, tokens."""

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, cast

import falcon
from oslo_config import cfg
from sqlalchemy.orm import Session

from cirrus.db.engine import EngineRegistry
from cirrus.wsgi.auth import RequestIdMiddleware, TokenAuthMiddleware
from cirrus.wsgi.routes import RouteTable, build_app


@dataclasses.dataclass(frozen=True)
class Services:
    """What a global service's handlers work with, put on each request by the app."""

    engines: EngineRegistry
    db_url: str

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction on the services database."""
        with self.engines.session(self.db_url) as session:
            yield session


def session_of(req: falcon.Request) -> AbstractContextManager[Session]:
    """A transaction on the services database of the app serving ``req``."""
    return cast(Services, req.context["services"]).session()


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

"""Routes as data: a table of URL templates and method handlers becomes a Falcon app."""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import falcon

Handler = Callable[..., None]
RouteTable = Sequence[tuple[str, Mapping[str, Handler]]]

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")


class _Resource:
    """Adapts one row of a route table to Falcon's responder protocol.

    With a ``state``, handlers are called as ``fn(state, req, resp, **params)``, so they
    get the service's collaborators without any global.
    """

    def __init__(self, handlers: Mapping[str, Handler], state: object | None) -> None:
        for method in _METHODS:
            fn = handlers.get(method)
            if fn is not None:
                setattr(self, f"on_{method.lower()}", self._bind(fn, state))

    @staticmethod
    def _bind(fn: Handler, state: object | None) -> Callable[..., None]:
        if state is None:
            def responder(req: falcon.Request, resp: falcon.Response, **params: Any) -> None:
                fn(req, resp, **params)
        else:
            def responder(req: falcon.Request, resp: falcon.Response, **params: Any) -> None:
                fn(state, req, resp, **params)

        return responder


def add_routes(
    app: "falcon.App[falcon.Request, falcon.Response]",
    routes: RouteTable,
    prefix: str = "",
    state: object | None = None,
) -> None:
    """Add every route of ``routes`` under ``prefix``."""
    for template, handlers in routes:
        app.add_route(prefix + template, _Resource(handlers, state))


def build_app(
    routes: RouteTable,
    middleware: Sequence[object],
    error_handler: Callable[[falcon.Request, falcon.Response, BaseException, Any], None],
    prefixes: Sequence[str] = ("",),
    state: object | None = None,
) -> "falcon.App[falcon.Request, falcon.Response]":
    """One Falcon app serving ``routes`` under each prefix, every error through one handler."""
    app: falcon.App[falcon.Request, falcon.Response] = falcon.App(
        middleware=list(middleware))  # type: ignore[arg-type]
    app.req_options.strip_url_path_trailing_slash = True
    app.req_options.auto_parse_qs_csv = False
    app.req_options.keep_blank_qs_values = True
    for prefix in prefixes:
        add_routes(app, routes, prefix, state)
    # NOTE: Falcon picks the most specific handler for an exception type; registering the
    # same one for HTTPError, HTTPStatus' parents and Exception keeps every fault in the
    # service's own body format.
    app.add_error_handler(Exception, error_handler)
    app.add_error_handler(falcon.HTTPError, error_handler)
    return app

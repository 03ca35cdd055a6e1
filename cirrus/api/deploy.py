"""Build the compute API WSGI app; the server entry point and every test use ``loadapp``."""

from concurrent import futures

import falcon

from cirrus.api import handler
from cirrus.api.common import APIState
from cirrus.api.microversion import MicroversionMiddleware
from cirrus.compute.rpcapi import ComputeAPI
from cirrus.conductor.rpcapi import ComputeTaskAPI
from cirrus.policy.enforcer import Enforcer
from cirrus.runtime import Runtime
from cirrus.wsgi.auth import RequestIdMiddleware, TokenAuthMiddleware
from cirrus.wsgi.faults import nova_error_handler
from cirrus.wsgi.routes import build_app


def deploy(runtime: Runtime) -> tuple["falcon.App[falcon.Request, falcon.Response]", APIState]:
    """The compute API app and its handler state.

    NOTE: middleware runs in list order on the way in and in reverse on the way out. The
    request id comes first so that every response, a 401 or 406 included, carries it; the
    microversion is parsed before authentication so that errors are versioned too.
    """
    conf = runtime.conf
    state = APIState(
        runtime=runtime, policy=Enforcer(conf), compute_rpc=ComputeAPI(runtime),
        conductor_rpc=ComputeTaskAPI(runtime),
        pool=futures.ThreadPoolExecutor(16, thread_name_prefix="api-cells"),
    )
    identity = f"{conf.keystone.public_endpoint}/identity"
    middleware = [
        RequestIdMiddleware(("x-openstack-request-id", "x-compute-request-id")),
        MicroversionMiddleware(),
        TokenAuthMiddleware(conf.token.signing_key, identity, handler.PUBLIC_PATHS),
    ]
    app = build_app(handler.ROUTES, middleware, nova_error_handler, state=state)
    return app, state


def loadapp(runtime: Runtime) -> "falcon.App[falcon.Request, falcon.Response]":
    """The compute API WSGI app."""
    return deploy(runtime)[0]

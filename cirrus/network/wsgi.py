"""The network service's WSGI app: the route table and the one function that builds it."""

import falcon
from oslo_config import cfg

from cirrus.db import services as services_db
from cirrus.db.engine import EngineRegistry
from cirrus.network import errors, handlers
from cirrus.wsgi.routes import RouteTable
from cirrus.wsgi.service_app import build_service_app

ROUTES: RouteTable = [
    ("/", {"GET": handlers.get_versions}),
    ("/v2.0", {"GET": handlers.get_resources}),
    ("/v2.0/extensions", {"GET": handlers.list_extensions}),
    ("/v2.0/extensions/{alias}", {"GET": handlers.get_extension}),
    ("/v2.0/networks", {"GET": handlers.list_networks, "POST": handlers.create_network}),
    (
        "/v2.0/networks/{network_id}",
        {"GET": handlers.get_network, "DELETE": handlers.delete_network},
    ),
    ("/v2.0/ports", {"GET": handlers.list_ports, "POST": handlers.create_port}),
    (
        "/v2.0/ports/{port_id}",
        {"GET": handlers.get_port, "PUT": handlers.update_port, "DELETE": handlers.delete_port},
    ),
    (
        "/v2.0/ports/{port_id}/bindings",
        {"GET": handlers.list_bindings, "POST": handlers.create_binding},
    ),
    (
        "/v2.0/ports/{port_id}/bindings/{host}",
        {"GET": handlers.get_binding, "DELETE": handlers.delete_binding},
    ),
    ("/v2.0/ports/{port_id}/bindings/{host}/activate", {"PUT": handlers.activate_binding}),
]

# The version document is read before a client has a token (endpoint discovery).
PUBLIC_PATHS = (r"^/$",)



def loadapp(
    conf: cfg.ConfigOpts, engines: EngineRegistry
) -> falcon.App[falcon.Request, falcon.Response]:
    """Build the network API app (served under ``/network`` by the all-in-one).

    Args:
        conf: the service configuration; ``[token] signing_key`` is required.
        engines: the process's engine registry; the services database is looked up in it.

    Raises:
        ValueError: no token signing key is configured.
    """
    services = handlers.Services(engines=engines, db_url=services_db.connection_url(conf))
    return build_service_app("network", conf, services, ROUTES, PUBLIC_PATHS,
                             errors.handle_error)

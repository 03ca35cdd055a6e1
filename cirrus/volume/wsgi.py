"""The volume service's WSGI app: the route table and the one function that builds it."""

import falcon
from oslo_config import cfg

from cirrus.db import services as services_db
from cirrus.db.engine import EngineRegistry
from cirrus.volume import errors, handlers, microversion
from cirrus.wsgi.routes import RouteTable
from cirrus.wsgi.service_app import build_service_app

_P = "/v3/{project_id}"
ROUTES: RouteTable = [
    ("/", {"GET": handlers.get_versions}),
    ("/v3", {"GET": handlers.get_version}),
    (f"{_P}/volumes", {"GET": handlers.list_volumes, "POST": handlers.create_volume}),
    (f"{_P}/volumes/detail", {"GET": handlers.list_volumes_detail}),
    (
        f"{_P}/volumes/{{volume_id}}",
        {"GET": handlers.get_volume, "DELETE": handlers.delete_volume},
    ),
    (
        f"{_P}/attachments",
        {"GET": handlers.list_attachments, "POST": handlers.create_attachment},
    ),
    (f"{_P}/attachments/detail", {"GET": handlers.list_attachments_detail}),
    (
        f"{_P}/attachments/{{attachment_id}}",
        {
            "GET": handlers.get_attachment,
            "PUT": handlers.update_attachment,
            "DELETE": handlers.delete_attachment,
        },
    ),
    (f"{_P}/attachments/{{attachment_id}}/action", {"POST": handlers.attachment_action}),
]

# Version documents are read before a client has a token (endpoint discovery).
PUBLIC_PATHS = (r"^/$", r"^/v3$")



def loadapp(
    conf: cfg.ConfigOpts, engines: EngineRegistry
) -> falcon.App[falcon.Request, falcon.Response]:
    """Build the volume API app (served under ``/volume`` by the all-in-one).

    Errors use Cinder's body format, which is Nova's (``{"itemNotFound": {...}}``).

    Args:
        conf: the service configuration; ``[token] signing_key`` is required.
        engines: the process's engine registry; the services database is looked up in it.

    Raises:
        ValueError: no token signing key is configured.
    """
    services = handlers.Services(engines=engines, db_url=services_db.connection_url(conf))
    # The version is checked last: a request refused for its token never reaches the
    # versioned API, as with keystonemiddleware in front of Cinder.
    return build_service_app("volume", conf, services, ROUTES, PUBLIC_PATHS,
                             errors.handle_error,
                             extra_middleware=[microversion.VersionMiddleware()])

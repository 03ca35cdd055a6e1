"""The image service's WSGI app: the route table and the one function that builds it."""

from pathlib import Path

import falcon
from oslo_config import cfg

from cirrus.db import services as services_db
from cirrus.db.engine import EngineRegistry
from cirrus.image import errors, handlers
from cirrus.image.store import FilesystemStore
from cirrus.wsgi.routes import RouteTable
from cirrus.wsgi.service_app import build_service_app

ROUTES: RouteTable = [
    ("/", {"GET": handlers.get_versions}),
    ("/v2", {"GET": handlers.get_versions}),
    ("/v2/images", {"GET": handlers.list_images, "POST": handlers.create_image}),
    (
        "/v2/images/{image_id}",
        {
            "GET": handlers.get_image,
            "PATCH": handlers.update_image,
            "DELETE": handlers.delete_image,
        },
    ),
    (
        "/v2/images/{image_id}/file",
        {"GET": handlers.download_image_data, "PUT": handlers.upload_image_data},
    ),
    ("/v2/schemas/image", {"GET": handlers.get_image_schema}),
    ("/v2/schemas/images", {"GET": handlers.get_images_schema}),
]

# Version documents are read before a client has a token (endpoint discovery).
PUBLIC_PATHS = (r"^/$", r"^/v2$")



def store_dir(conf: cfg.ConfigOpts) -> Path:
    """``[glance] filesystem_store_datadir``, or ``$state_path/images``."""
    datadir: str | None = conf.glance.filesystem_store_datadir
    return Path(datadir) if datadir else Path(conf.state_path) / "images"


def loadapp(
    conf: cfg.ConfigOpts, engines: EngineRegistry
) -> falcon.App[falcon.Request, falcon.Response]:
    """Build the image API app (served under ``/image`` by the all-in-one).

    Args:
        conf: the service configuration; ``[token] signing_key`` is required.
        engines: the process's engine registry; the services database is looked up in it.

    Raises:
        ValueError: no token signing key is configured.
    """
    services = handlers.Services(
        engines=engines, db_url=services_db.connection_url(conf),
        store=FilesystemStore(store_dir(conf), hash_algo=conf.glance.hashing_algorithm),
    )
    return build_service_app("image", conf, services, ROUTES, PUBLIC_PATHS,
                             errors.handle_error)

"""``cirrus-api``: the API tier's HTTP services (compute, identity, image, network, volume).

Placement is mounted too unless ``[placement] endpoint_override`` points elsewhere (at
``cirrus-placement``). With ``[wsgi] workers`` set, gunicorn serves the API from that many
worker processes, each with its own runtime; otherwise one process serves it.
"""

import sys
from typing import Any

from oslo_config import cfg

from cirrus.api import deploy as api_deploy
from cirrus.cmd.common import parse, wait_for_signal
from cirrus.identity import wsgi as identity_wsgi
from cirrus.image import wsgi as image_wsgi
from cirrus.network import wsgi as network_wsgi
from cirrus.placement_client import inprocess
from cirrus.runtime import Runtime
from cirrus.volume import wsgi as volume_wsgi
from cirrus.wsgi import forked
from cirrus.wsgi.server import HTTPServer, Mounts


def build_mounts(conf: cfg.ConfigOpts) -> tuple[Mounts, Runtime]:
    """Every HTTP app of the API tier, and the runtime they share."""
    holder: dict[str, Mounts] = {}

    def _dispatch(environ: dict[str, Any], start_response: Any) -> Any:
        return holder["app"](environ, start_response)

    runtime = Runtime(conf, inprocess_app=_dispatch)
    apps: dict[str, Any] = {
        "/compute": api_deploy.loadapp(runtime),
        "/identity": identity_wsgi.loadapp(conf, runtime.engines, runtime.api_db_url),
        "/image": image_wsgi.loadapp(conf, runtime.engines),
        "/network": network_wsgi.loadapp(conf, runtime.engines),
        "/volume": volume_wsgi.loadapp(conf, runtime.engines),
    }
    if not conf.placement.endpoint_override:
        apps["/placement"] = inprocess.protected_app(conf.placement_database.connection,
                                                     conf.token.signing_key)
    holder["app"] = Mounts(apps)
    return holder["app"], runtime


def _check_forkable(conf: cfg.ConfigOpts) -> None:
    """Several workers need Placement outside and databases that take concurrent writers."""
    if not conf.placement.endpoint_override:
        raise SystemExit("[wsgi] workers needs [placement] endpoint_override (cirrus-placement):"
                         " Placement's database setup is once per process")
    urls = (conf.api_database.connection, conf.services_database.connection)
    if any(str(url or "").startswith("sqlite") for url in urls):
        raise SystemExit("[wsgi] workers needs PostgreSQL or MariaDB, not SQLite")


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM."""
    _, conf = parse("cirrus-api", sys.argv[1:] if argv is None else argv)
    if conf.wsgi.workers:
        _check_forkable(conf)

        def _build() -> tuple[Mounts, Any]:
            mounts, runtime = build_mounts(conf)
            return mounts, runtime.close

        forked.serve(_build, forked.Serving(conf.wsgi.bind_host, conf.wsgi.bind_port,
                                            conf.wsgi.workers, conf.wsgi.threads, "cirrus-api"))
        return 0
    mounts, runtime = build_mounts(conf)
    server = HTTPServer(mounts, conf.wsgi.bind_host, conf.wsgi.bind_port, conf.wsgi.threads)
    server.start()
    try:
        wait_for_signal()
    finally:
        server.stop()
        runtime.close()
    return 0

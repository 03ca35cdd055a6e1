"""``cirrus-placement``: the real openstack-placement app under gunicorn.

It serves Placement's own API on ``[placement_wsgi] bind_host:bind_port`` from its
database (``[placement_database] connection``, created by ``cirrus-manage
placement_db_sync``), behind the same token check as every Cirrus API.
"""

import sys
from collections.abc import Callable
from typing import Any

from cirrus.cmd.common import parse
from cirrus.placement_client import inprocess
from cirrus.wsgi import forked


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGTERM."""
    _, conf = parse("cirrus-placement", sys.argv[1:] if argv is None else argv)
    connection = conf.placement_database.connection
    if not connection:
        raise SystemExit("[placement_database] connection is not set")
    if not conf.token.signing_key:
        raise SystemExit("[token] signing_key is not set")
    wsgi = conf.placement_wsgi
    if connection.startswith("sqlite") and wsgi.workers > 1:
        # Requests on SQLite are serialised by a lock of one process (see inprocess).
        raise SystemExit("more than one [placement_wsgi] worker needs PostgreSQL or MariaDB")

    def _build() -> tuple[Any, Callable[[], None]]:
        # The schema is the operator's (placement_db_sync): workers starting together
        # must not all run the migrations.
        app = inprocess.protected_app(connection, conf.token.signing_key, sync=False)
        return app, lambda: None

    forked.serve(_build, forked.Serving(wsgi.bind_host, wsgi.bind_port, wsgi.workers,
                                        wsgi.threads, "cirrus-placement"))
    return 0

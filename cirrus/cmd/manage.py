"""``cirrus-manage``: databases, cells, hosts, identity and flavors for operators."""

import argparse
import sys
from collections.abc import Callable
from typing import Any

from cirrus import log
from cirrus.conf import build_config
from cirrus.db.engine import EngineRegistry
from cirrus.identity import bootstrap as identity_bootstrap
from cirrus.manage import setup, status
from cirrus.objects import cell_mapping

Command = Callable[[argparse.Namespace, Any, EngineRegistry], int]


def _api(conf: Any) -> str:
    url = conf.api_database.connection
    if not url:
        raise SystemExit("[api_database] connection is not set")
    return str(url)


def api_db_sync(args: argparse.Namespace, conf: Any, engines: EngineRegistry) -> int:
    """Bring the API database to the newest schema."""
    del args
    print(f"API database at revision {setup.sync(engines, 'api', _api(conf))}")  # noqa: T201
    return 0


def db_sync(args: argparse.Namespace, conf: Any, engines: EngineRegistry) -> int:
    """Sync this cell's database, or with --all-cells every mapped cell's."""
    urls: list[tuple[str, str]] = []
    if args.all_cells:
        with engines.session(_api(conf)) as s:
            urls = [(c.name or c.uuid, c.database_connection) for c in cell_mapping.get_all(s)]
    elif conf.database.connection:
        urls = [("this cell", conf.database.connection)]
    else:
        raise SystemExit("[database] connection is not set (or use --all-cells)")
    for name, url in urls:
        print(f"{name}: revision {setup.sync(engines, 'cell', url)}")  # noqa: T201
    return 0


def services_db_sync(args: argparse.Namespace, conf: Any, engines: EngineRegistry) -> int:
    """Sync the database of the image, network and volume services."""
    del args
    revision = setup.sync(engines, "services", conf.services_database.connection)
    print(f"services database at revision {revision}")  # noqa: T201
    return 0


def placement_db_sync(args: argparse.Namespace, conf: Any, engines: EngineRegistry) -> int:
    """Create or upgrade Placement's schema (placement syncs itself when loaded)."""
    del args, engines
    from cirrus.placement_client import inprocess

    inprocess.load_placement(conf.placement_database.connection)
    print("placement database synced")  # noqa: T201
    return 0


def map_cell0(args: argparse.Namespace, conf: Any, engines: EngineRegistry) -> int:
    """Create cell0 for servers that fail to schedule."""
    cell = setup.ensure_cell0(engines, _api(conf), args.database_connection)
    print(cell.uuid)  # noqa: T201
    return 0


def create_cell(args: argparse.Namespace, conf: Any, engines: EngineRegistry) -> int:
    """Map a new cell with its database and transport; syncs its database."""
    cell = setup.create_cell(engines, _api(conf), args.name, args.transport_url,
                             args.database_connection)
    print(cell.uuid)  # noqa: T201
    return 0


def list_cells(args: argparse.Namespace, conf: Any, engines: EngineRegistry) -> int:
    """Print the cells (secrets in URLs are masked)."""
    del args
    with engines.session(_api(conf)) as s:
        for cell in cell_mapping.get_all(s):
            print(f"{cell.name}\t{cell.uuid}\t{_mask(cell.transport_url)}\t"  # noqa: T201
                  f"{_mask(cell.database_connection)}")
    return 0


def _mask(url: str) -> str:
    head, sep, tail = url.partition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, creds = head.partition("://")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:****@{tail}"


def discover_hosts(args: argparse.Namespace, conf: Any, engines: EngineRegistry) -> int:
    """Map compute hosts that registered since the last discovery."""
    del args
    for host, cell in setup.discover_hosts(engines, _api(conf)):
        print(f"Mapped {host} to {cell}")  # noqa: T201
    return 0


def identity_bootstrap_cmd(args: argparse.Namespace, conf: Any, engines: EngineRegistry) -> int:
    """Create roles, the admin account and the service account."""
    identity_bootstrap.bootstrap(engines, _api(conf), args.admin_password)
    return 0


def user_create(args: argparse.Namespace, conf: Any, engines: EngineRegistry) -> int:
    """Create a user (or reset its password with --or-update)."""
    identity_bootstrap.create_user(engines, _api(conf), args.name, args.password,
                                   exist_ok=args.or_update)
    return 0


def project_create(args: argparse.Namespace, conf: Any, engines: EngineRegistry) -> int:
    """Create a project."""
    identity_bootstrap.create_project(engines, _api(conf), args.name, exist_ok=True,
                                      description=args.description)
    return 0


def role_add(args: argparse.Namespace, conf: Any, engines: EngineRegistry) -> int:
    """Give a user a role on a project."""
    identity_bootstrap.grant_role(engines, _api(conf), args.user, args.project, args.role)
    return 0


def flavor_defaults(args: argparse.Namespace, conf: Any, engines: EngineRegistry) -> int:
    """Create Nova's classic flavors m1.tiny ... m1.xlarge."""
    del args
    print(f"{setup.ensure_classic_flavors(engines, _api(conf))} flavors created")  # noqa: T201
    return 0


def status_cmd(args: argparse.Namespace, conf: Any, engines: EngineRegistry) -> int:
    """Readiness checks; non-zero exit when one fails."""
    del args
    return status.run(conf, engines)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cirrus-manage")
    p.add_argument("--config-file", action="append", default=[])
    sub = p.add_subparsers(dest="command", required=True)

    def cmd(name: str, fn: Command, *flags: tuple[str, dict[str, Any]]) -> None:
        sp = sub.add_parser(name, help=(fn.__doc__ or "").splitlines()[0])
        for flag, kwargs in flags:
            sp.add_argument(flag, **kwargs)
        sp.set_defaults(fn=fn)

    req = {"required": True}
    cmd("api_db_sync", api_db_sync)
    cmd("db_sync", db_sync, ("--all-cells", {"action": "store_true"}))
    cmd("services_db_sync", services_db_sync)
    cmd("placement_db_sync", placement_db_sync)
    cmd("map_cell0", map_cell0, ("--database-connection", req))
    cmd("create_cell", create_cell, ("--name", req), ("--transport-url", req),
        ("--database-connection", req))
    cmd("list_cells", list_cells)
    cmd("discover_hosts", discover_hosts)
    cmd("bootstrap", identity_bootstrap_cmd, ("--admin-password", req))
    cmd("user_create", user_create, ("name", {}), ("--password", req),
        ("--or-update", {"action": "store_true"}))
    cmd("project_create", project_create, ("name", {}), ("--description", {}))
    cmd("role_add", role_add, ("--user", req), ("--project", req), ("--role", req))
    cmd("flavor_defaults", flavor_defaults)
    cmd("status", status_cmd)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one command."""
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    conf = build_config(argv=[f"--config-file={f}" for f in args.config_file])
    log.setup()
    engines = EngineRegistry()
    try:
        result: int = args.fn(args, conf, engines)
        return result
    finally:
        engines.dispose()

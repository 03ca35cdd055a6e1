"""First-start set-up of the all-in-one: databases, cells, identity, flavors, image, zones."""

import hashlib
import logging
from pathlib import Path

from cirrus.allinone.config import Options, sqlite_url
from cirrus.identity import bootstrap as identity_bootstrap
from cirrus.manage import setup
from cirrus.objects import host_mapping
from cirrus.runtime import Runtime

LOG = logging.getLogger(__name__)

DEMO_PROJECT = "demo"
DEMO_USER = "demo"


def host_names(options: Options) -> dict[str, list[str]]:
    """Cell name -> host names (``cellk-hostN``)."""
    return {f"cell{k}": [f"cell{k}-host{n}" for n in range(1, options.hosts_per_cell + 1)]
            for k in range(1, options.cells + 1)}


def passwords(state_dir: Path) -> dict[str, str]:
    """Stable passwords for the admin and demo users, derived from the signing key."""
    key = (state_dir / "signing_key").read_text().strip()
    return {user: hashlib.sha256(f"{user}:{key}".encode()).hexdigest()[:20]
            for user in ("admin", DEMO_USER)}


def run(runtime: Runtime, options: Options) -> None:
    """Create whatever is missing; safe to run at every start."""
    engines, api = runtime.engines, runtime.api_db_url
    state = options.state_dir
    setup.sync(engines, "api", api)
    setup.sync(engines, "services", runtime.conf.services_database.connection)
    setup.ensure_cell0(engines, api, sqlite_url(state, "cell0"))
    for cell in host_names(options):
        setup.create_cell(engines, api, cell, f"kombu+inproc:///{cell}",
                          sqlite_url(state, cell))
    pw = passwords(state)
    identity_bootstrap.bootstrap(engines, api, pw["admin"])
    identity_bootstrap.create_project(engines, api, DEMO_PROJECT, exist_ok=True,
                                      description="Demo project")
    identity_bootstrap.create_user(engines, api, DEMO_USER, pw[DEMO_USER], exist_ok=True)
    for role in ("member", "reader"):
        identity_bootstrap.grant_role(engines, api, DEMO_USER, DEMO_PROJECT, role)
    setup.ensure_classic_flavors(engines, api)
    with runtime.api_session() as s:
        for cell, hosts in host_names(options).items():
            host_mapping.ensure_aggregate(s, cell, {"availability_zone": cell}, hosts)

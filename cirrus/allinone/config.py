"""The all-in-one's configuration: SQLite files and in-process transports under a state dir."""

import dataclasses
import secrets
from pathlib import Path

from oslo_config import cfg
from oslo_policy import opts as policy_opts

from cirrus.conf import build_config


@dataclasses.dataclass(frozen=True)
class Options:
    """Command-line choices of ``cirrus all-in-one``."""

    state_dir: Path
    port: int = 8774
    cells: int = 2
    hosts_per_cell: int = 2
    driver: str = "fake"
    config_files: tuple[str, ...] = ()
    bind_host: str = "127.0.0.1"


def _signing_key(state_dir: Path) -> str:
    path = state_dir / "signing_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def sqlite_url(state_dir: Path, name: str) -> str:
    """URL of the SQLite database ``name`` in the state dir."""
    return f"sqlite:///{state_dir / name}.db"


def build(options: Options, port: int | None = None) -> cfg.ConfigOpts:
    """The configuration every in-process service shares."""
    state = options.state_dir
    state.mkdir(parents=True, exist_ok=True)
    endpoint = f"http://{options.bind_host}:{port or options.port}"
    overrides: dict[str, dict[str, object]] = {
        "DEFAULT": {"transport_url": "kombu+inproc:///top", "state_path": str(state),
                    "compute_driver": options.driver, "host": "aio"},
        "api_database": {"connection": sqlite_url(state, "api")},
        "services_database": {"connection": sqlite_url(state, "services")},
        "placement_database": {"connection": sqlite_url(state, "placement")},
        "token": {"signing_key": _signing_key(state)},
        "keystone": {"public_endpoint": endpoint},
        "glance": {"filesystem_store_datadir": str(state / "images")},
        "wsgi": {"bind_host": options.bind_host, "bind_port": port or options.port},
        # The in-memory broker has no heartbeats to send.
        "oslo_messaging_rabbit": {"heartbeat_timeout_threshold": 0},
        "oslo_messaging_notifications": {"driver": ["messagingv2"]},
    }
    conf = build_config(
        argv=[f"--config-file={f}" for f in options.config_files], defaults=overrides)
    # policy.yaml in the state dir overrides the defaults (re-read when it changes), unless
    # an extra config file names another.
    policy_opts.set_defaults(conf, policy_file=str(state / "policy.yaml"))
    return conf

"""The services database: images, networks, ports and their bindings, volumes and attachments."""

from pathlib import Path

from oslo_config import cfg


def connection_url(conf: cfg.ConfigOpts) -> str:
    """``[services_database] connection``, or a SQLite file under ``state_path``."""
    url: str | None = conf.services_database.connection
    return url or f"sqlite:///{Path(conf.state_path) / 'services.sqlite'}"

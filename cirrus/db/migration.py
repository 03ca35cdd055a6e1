"""Schema migrations of the API, cell and services databases, run through Alembic."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

_HERE = Path(__file__).parent
SCHEMAS = {
    "api": _HERE / "api" / "migrations",
    "cell": _HERE / "cell" / "migrations",
    "services": _HERE / "services" / "migrations",
}


def _config(schema: str, engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(SCHEMAS[schema]))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(schema: str, engine: Engine, revision: str = "head") -> None:
    """Bring ``engine``'s database of kind ``schema`` (a key of SCHEMAS) to ``revision``."""
    command.upgrade(_config(schema, engine), revision)


def current(schema: str, engine: Engine) -> str | None:
    """The revision a database is at, or None when it was never synced."""
    from alembic.runtime.migration import MigrationContext

    del schema
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()

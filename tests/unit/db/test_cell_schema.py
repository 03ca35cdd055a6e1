"""The cell database migrations build exactly the schema the models declare."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cirrus.db import migration
from cirrus.db.base import CellBase
from cirrus.db.cell import models  # noqa: F401  (registers the tables on CellBase)
from cirrus.db.engine import make_engine


def test_cell_migrations_match_models(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'cell.sqlite'}")
    try:
        migration.upgrade("cell", engine)
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), CellBase.metadata) == []
        columns = {c["name"] for c in sa.inspect(engine).get_columns("instance_extra")}
        assert "injected_files" in columns
        columns = {c["name"] for c in sa.inspect(engine).get_columns("migrations")}
        assert {"disk_step", "disk_rate"} <= columns
    finally:
        engine.dispose()


def test_cell_migrations_go_down_and_up_again(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'cell.sqlite'}")
    try:
        migration.upgrade("cell", engine)
        from alembic import command

        command.downgrade(migration._config("cell", engine), "c0001")
        assert migration.current("cell", engine) == "c0001"
        migration.upgrade("cell", engine)
        assert migration.current("cell", engine) == "c0003"
    finally:
        engine.dispose()

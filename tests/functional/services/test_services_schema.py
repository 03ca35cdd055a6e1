"""The services schema: its migrations build exactly what the models declare."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cirrus.db import migration
from cirrus.db.base import ServicesBase
from cirrus.db.engine import make_engine
from cirrus.db.services import models


def test_migrations_match_models(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'schema.sqlite'}")
    try:
        migration.upgrade("services", engine)
        assert migration.current("services", engine) == "s0002"
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, ServicesBase.metadata) == []
        assert {models.Image.__tablename__, models.PortBinding.__tablename__,
                models.VolumeAttachment.__tablename__} <= set(ServicesBase.metadata.tables)
    finally:
        engine.dispose()

"""The API database migrations build exactly the schema the models declare."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cirrus.db import migration
from cirrus.db.api import models  # noqa: F401  (registers the tables on APIBase)
from cirrus.db.base import APIBase
from cirrus.db.engine import make_engine


def test_api_migrations_match_models(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'api.sqlite'}")
    try:
        migration.upgrade("api", engine)
        assert migration.current("api", engine) is not None
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), APIBase.metadata) == []
        indexes = {i["name"] for i in sa.inspect(engine).get_indexes("instance_group_member")}
        assert "ix_instance_group_member_instance_uuid" in indexes
    finally:
        engine.dispose()

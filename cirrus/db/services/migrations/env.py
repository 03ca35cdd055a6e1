"""Alembic environment of the services schema; the engine is handed in by cirrus.db.migration."""

from alembic import context

from cirrus.db.base import ServicesBase
from cirrus.db.services import models  # noqa: F401  (registers the tables)

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=ServicesBase.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()

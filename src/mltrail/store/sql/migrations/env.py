"""Alembic environment: runs the revisions on the connection the store hands over.

The store (:func:`mltrail.store.sql.schema.ensure_schema`) puts an open
SQLAlchemy connection in ``config.attributes["connection"]``; offline (SQL
script) mode uses ``sqlalchemy.url`` from the config instead.
"""

from __future__ import annotations

from alembic import context

from mltrail.store.sql.models import Base

config = context.config
target_metadata = Base.metadata


def _run_online() -> None:
    connection = config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
else:
    _run_online()

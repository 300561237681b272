"""SQL stores (SQLAlchemy 2 + Alembic): SQLite, PostgreSQL, MySQL/MariaDB.

>>> from mltrail.store.sql import SqlTrackingStore
>>> store = SqlTrackingStore("sqlite:///mlflow.db")
"""

from .tracking_store import SqlTrackingStore

__all__ = ["SqlTrackingStore"]

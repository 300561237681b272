"""Strings sort by code point on every backend, whatever the database's collation.

SQLite compares text with ``BINARY`` and mltrail creates its MySQL/MariaDB tables ``utf8mb4_bin``, so
both sort by code point. A PostgreSQL database sorts by its default collation, which on most servers
follows a language's rules (under ``en_US.UTF-8``, ``churn`` comes before ``Churn``; by code point,
after it). Every ORDER BY of a search or listing on a text column goes through
:func:`code_point_order`, so a page lists the same rows in the same order on every backend::

    stmt.order_by(code_point_order(registered_models.c.name, engine.dialect.name).asc())
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def code_point_order(column: Any, dialect: str) -> Any:
    """``column`` as an ORDER BY operand sorting by code point on ``dialect`` (a dialect name).

    >>> str(code_point_order(runs.c.name, "postgresql"))
    'runs.name COLLATE "C"'
    """
    if dialect == "postgresql" and isinstance(column.type, sa.String):
        return column.collate("C")
    return column


def ordered(column: Any, dialect: str, ascending: bool) -> Any:
    """The ORDER BY term of ``column`` in code-point order, ascending or descending.

    >>> str(ordered(runs.c.name, "postgresql", False))
    'runs.name COLLATE "C" DESC'
    """
    sortable = code_point_order(column, dialect)
    return sortable.asc() if ascending else sortable.desc()

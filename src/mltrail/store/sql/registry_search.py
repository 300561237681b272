"""Filters, ordering and paging of the registry searches, on the shared filter grammar
(:mod:`mltrail.store.search`).

Filters (comparisons joined by ``AND``)::

    name = 'nyc-taxi'            name != 'x'        name LIKE 'nyc-%'     name ILIKE '%TAXI%'
    tags.team = 'growth'         tags.`my key` LIKE 'a%'
    # model versions only:
    version_number >= 2          run_id = 'abc...'  run_id IN ('a', 'b')  source_path LIKE 'runs:/%'
    current_stage = 'Production' (stage names in any case)

Order keys: ``name``, ``creation_timestamp`` (alias ``timestamp``),
``last_updated_timestamp`` and, for versions, ``version_number``; ``ASC``/``DESC``.

>>> model_comparisons("name LIKE 'nyc%' AND tags.team = 'growth'")
[Comparison(entity='attribute', key='name', op='LIKE', value='nyc%'), Comparison(entity='tag', key='team', op='=', value='growth')]
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from ...exceptions import InvalidParameterError
from ..search import ATTRIBUTE, TAG, Comparison, SearchSpec, parse_filter, parse_order_by
from .collation import ordered
from .search_sql import compare as _compare

_TIMESTAMPS = ("creation_timestamp", "timestamp", "last_updated_timestamp")
#: order_by key -> column, shared by both searches.
_ORDER_COLUMNS = {
    "name": "name",
    "version_number": "version",
    "creation_timestamp": "creation_time",
    "timestamp": "creation_time",
    "last_updated_timestamp": "last_updated_time",
}

MODEL_SPEC = SearchSpec(
    what="registered models",
    entities=(TAG, ATTRIBUTE),
    attributes={"name": ("name", "string")},
    orderable=("name", *_TIMESTAMPS),
)
VERSION_SPEC = SearchSpec(
    what="model versions",
    entities=(TAG, ATTRIBUTE),
    attributes={
        "name": ("name", "string"),
        "version_number": ("version", "number"),
        "run_id": ("run_id", "string"),
        "source_path": ("source", "string"),
        "current_stage": ("current_stage", "string"),
    },
    orderable=("name", "version_number", *_TIMESTAMPS),
)


def model_comparisons(filter_string: Optional[str]) -> list[Comparison]:
    """Parse a registered-model filter."""
    return parse_filter(filter_string, MODEL_SPEC)


def version_comparisons(filter_string: Optional[str]) -> list[Comparison]:
    """Parse a model-version filter."""
    return parse_filter(filter_string, VERSION_SPEC)


def order_columns(order_by: Optional[Sequence[str]], spec: SearchSpec) -> list[tuple[str, bool]]:
    """``["name DESC"]`` -> ``[("name", False)]``: (column, ascending) per clause."""
    out: list[tuple[str, bool]] = []
    for key in parse_order_by(list(order_by) if order_by else None, spec):
        column = _ORDER_COLUMNS.get(key.key)
        if key.entity != ATTRIBUTE or column is None:
            raise InvalidParameterError(
                f"Invalid order_by key {key.key!r}: {spec.what} can be ordered by {', '.join(spec.orderable)}"
            )
        out.append((column, key.ascending))
    return out


def order_terms(table: Any, columns: Sequence[tuple[str, bool]], dialect: str) -> list[Any]:
    """ORDER BY terms of ``table`` for ``(column, ascending)`` pairs, strings in code-point order
    (:func:`.collation.code_point_order`) on every backend."""
    return [ordered(table.c[column], dialect, ascending) for column, ascending in columns]


# -- SQL -------------------------------------------------------------------------------------------


def filter_clauses(comparisons: Sequence[Comparison], table: Any, tag_table: Any) -> list[Any]:
    """WHERE clauses for ``comparisons`` on ``table``; tag clauses become EXISTS on ``tag_table``
    (joined on ``table``'s primary-key columns)."""
    from sqlalchemy import and_, exists

    from ...entities import ModelVersionStage

    join_on = [tag_table.c[col.name] == col for col in table.primary_key.columns]
    clauses = []
    for comp in comparisons:
        if comp.entity == TAG:
            clauses.append(
                exists().where(and_(*join_on, tag_table.c.key == comp.key, _compare(tag_table.c.value, comp.op, comp.value)))
            )
            continue
        value: Any = comp.value
        if comp.key == "current_stage" and comp.op in ("=", "!=", "IN", "NOT IN"):
            value = (
                [ModelVersionStage.canonical(v) for v in value]
                if isinstance(value, tuple)
                else ModelVersionStage.canonical(value)
            )
        elif comp.key == "version" and isinstance(value, float) and value.is_integer():
            value = int(value)
        clauses.append(_compare(table.c[comp.key], comp.op, value))
    return clauses

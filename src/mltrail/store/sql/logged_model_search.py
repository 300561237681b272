"""Filters and ordering of ``search_logged_models`` (MLflow's grammar, on :mod:`mltrail.store.search`).

::

    name = 'model'          model_id = 'm-...'      status = 'READY'      model_type LIKE 'agent%'
    source_run_id = '...'   creation_timestamp > 1700000000000
    params.alpha = '0.5'    tags.team = 'growth'    metrics.accuracy >= 0.9

A metric compares the model's latest value of that metric (highest step,
then timestamp). Order keys: the attributes above or ``metrics.<key>``,
as MLflow's dicts ``{"field_name": "metrics.accuracy", "ascending": False}``
or strings ``"metrics.accuracy DESC"``; ties end with the model id.

>>> where_clauses("params.alpha = '0.5' AND metrics.acc > 0.9", None)
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Optional, Sequence, Union

import sqlalchemy as sa

from ...exceptions import InvalidParameterError
from ..search import ATTRIBUTE, METRIC, PARAM, TAG, SearchSpec, parse_filter, parse_order_by
from .logged_model_tables import logged_model_metrics, logged_model_params, logged_model_tags, logged_models
from .collation import code_point_order
from .search_sql import compare

LOGGED_MODEL_SPEC = SearchSpec(
    what="logged models",
    entities=(METRIC, PARAM, TAG, ATTRIBUTE),
    attributes={
        "name": ("name", "string"),
        "model_id": ("model_id", "string"),
        "status": ("status", "string"),
        "model_type": ("model_type", "string"),
        "source_run_id": ("source_run_id", "string"),
        "creation_timestamp": ("creation_timestamp_ms", "number"),
        "creation_time": ("creation_timestamp_ms", "number"),
        "last_updated_timestamp": ("last_updated_timestamp_ms", "number"),
    },
    orderable=("name", "model_id", "status", "model_type", "source_run_id", "creation_timestamp", "creation_time",
               "last_updated_timestamp"),
)
_SHA256 = re.compile(r"[0-9a-f]{64}")


def check_sha256(value: Any) -> str:
    """``value`` if it is a lowercase sha256 hex digest; InvalidParameterError otherwise."""
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise InvalidParameterError(f"Invalid MLmodel sha256 {value!r}: expected 64 lowercase hex characters")
    return value


def _latest_metric(key: str) -> Any:
    """Scalar subquery: the model's latest value of metric ``key`` (NULL when it has none or it is NaN)."""
    m = logged_model_metrics
    return (
        sa.select(sa.case((m.c.is_nan, None), else_=m.c.value))
        .where(m.c.model_id == logged_models.c.model_id, m.c.key == key)
        .order_by(m.c.step.desc(), m.c.timestamp.desc(), m.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _column(name: str) -> Any:
    return logged_models.c[LOGGED_MODEL_SPEC.attributes[name][0]]


def where_clauses(filter_string: Optional[str], datasets: Optional[Sequence[Mapping[str, Any]]]) -> list[Any]:
    """WHERE clauses for a logged-model filter (and a dataset restriction)."""
    clauses: list[Any] = []
    for comp in parse_filter(filter_string, LOGGED_MODEL_SPEC):
        if comp.entity == METRIC:
            clauses.append(compare(_latest_metric(comp.key), comp.op, comp.value))
        elif comp.entity in (PARAM, TAG):
            table = logged_model_params if comp.entity == PARAM else logged_model_tags
            clauses.append(
                sa.exists().where(
                    table.c.model_id == logged_models.c.model_id,
                    table.c.key == comp.key,
                    compare(table.c.value, comp.op, comp.value),
                )
            )
        else:
            value: Any = comp.value
            if comp.key == "status" and isinstance(value, str) and comp.op in ("=", "!="):
                value = value.upper()
            clauses.append(compare(logged_models.c[comp.key], comp.op, value))
    if datasets:
        m = logged_model_metrics
        alternatives = []
        for d in datasets:
            if not isinstance(d, Mapping) or not d.get("dataset_name"):
                raise InvalidParameterError(
                    f"Invalid dataset {d!r}: expected {{'dataset_name': ..., 'dataset_digest': ... (optional)}}"
                )
            cond = [m.c.dataset_name == d["dataset_name"]]
            if d.get("dataset_digest"):
                cond.append(m.c.dataset_digest == d["dataset_digest"])
            alternatives.append(sa.and_(*cond))
        clauses.append(sa.exists().where(m.c.model_id == logged_models.c.model_id, sa.or_(*alternatives)))
    return clauses


def _order_strings(order_by: Optional[Sequence[Union[str, Mapping[str, Any]]]]) -> list[str]:
    out = []
    for item in order_by or ():
        if isinstance(item, Mapping):
            field = item.get("field_name")
            if not isinstance(field, str) or not field:
                raise InvalidParameterError(f"Invalid order_by {item!r}: expected {{'field_name': ..., 'ascending': bool}}")
            out.append(f"{field} {'ASC' if item.get('ascending', True) else 'DESC'}")
        elif isinstance(item, str):
            out.append(item)
        else:
            raise InvalidParameterError(f"Invalid order_by {item!r}: expected a string or a dict with 'field_name'")
    return out


def order_clauses(order_by: Optional[Sequence[Union[str, Mapping[str, Any]]]], dialect: str) -> list[Any]:
    """ORDER BY terms: the requested keys (NULLs last; strings in code-point order on every
    ``dialect``), then newest first, then model id."""
    terms: list[Any] = []
    for key in parse_order_by(_order_strings(order_by) or None, LOGGED_MODEL_SPEC):
        if key.entity == METRIC:
            expr = _latest_metric(key.key)
        elif key.entity == ATTRIBUTE and key.key in LOGGED_MODEL_SPEC.orderable:
            expr = code_point_order(_column(key.key), dialect)
        else:
            raise InvalidParameterError(
                f"Invalid order_by key {key.key!r}: logged models can be ordered by "
                f"{', '.join(LOGGED_MODEL_SPEC.orderable)} or metrics.<key>"
            )
        terms.append(sa.case((expr.is_(None), 1), else_=0))
        terms.append(expr.asc() if key.ascending else expr.desc())
    terms += [logged_models.c.creation_timestamp_ms.desc(), logged_models.c.model_id.asc()]
    return terms

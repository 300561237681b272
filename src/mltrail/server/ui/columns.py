"""The runs table's column names: what a user can show and sort on.

A column is written as in the search grammar, plus a ``:min`` / ``:max``
suffix for a metric's extremes over its history (keys cannot hold ``:`` or
``,``, so a comma-separated list in the URL is unambiguous)::

    >>> parse_column("metrics.rmse:min")
    Column(entity='metric', key='rmse', agg='min')
    >>> parse_column("duration")
    Column(entity='fixed', key='duration', agg=None)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ...exceptions import InvalidParameterError

#: the always-shown columns, in table order
FIXED_COLUMNS = ("status", "run_name", "start_time", "duration", "user", "source")
_ENTITIES = {"params": "param", "metrics": "metric", "tags": "tag"}
MAX_CHOSEN_COLUMNS = 200


@dataclass(frozen=True)
class Column:
    """One table column: ``entity`` is fixed/param/metric/tag; ``agg`` None (last), 'min' or 'max'."""

    entity: str
    key: str
    agg: Optional[str] = None

    @property
    def name(self) -> str:
        """The column as written in URLs (``metrics.rmse:min``)."""
        if self.entity == "fixed":
            return self.key
        prefix = {v: k for k, v in _ENTITIES.items()}[self.entity]
        return f"{prefix}.{self.key}" + (f":{self.agg}" if self.agg else "")


def parse_column(text: str) -> Column:
    """A :class:`Column` from its URL spelling; unknown spellings raise InvalidParameterError."""
    text = text.strip()
    if text in FIXED_COLUMNS:
        return Column("fixed", text)
    prefix, dot, rest = text.partition(".")
    if not dot or prefix not in _ENTITIES or not rest:
        raise InvalidParameterError(
            f"Unknown column {text!r}: expected one of {', '.join(FIXED_COLUMNS)} or "
            "params.<key>, metrics.<key>[:min|:max], tags.<key>"
        )
    entity = _ENTITIES[prefix]
    key, colon, agg = rest.partition(":")
    if colon:
        if entity != "metric" or agg not in ("min", "max"):
            raise InvalidParameterError(
                f"Unknown column {text!r}: only metric columns take a suffix, and it must be :min or :max"
            )
        return Column(entity, key, agg)
    return Column(entity, key)


def parse_columns(text: Optional[str]) -> list[Column]:
    """The chosen columns from a comma-separated list (duplicates dropped, fixed columns skipped).

    >>> [c.name for c in parse_columns("params.alpha,metrics.rmse:max")]
    ['params.alpha', 'metrics.rmse:max']
    """
    chosen: list[Column] = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        column = parse_column(part)
        if column.entity != "fixed" and column not in chosen:
            chosen.append(column)
    if len(chosen) > MAX_CHOSEN_COLUMNS:
        raise InvalidParameterError(
            f"Too many columns ({len(chosen)}): the runs table shows at most {MAX_CHOSEN_COLUMNS} chosen columns"
        )
    return chosen

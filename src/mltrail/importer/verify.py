"""The verification table: per experiment, what the source holds against what the target holds.

>>> rows = [Row("nyc-taxi", "runs", 120, 120), Row("nyc-taxi", "metric rows", 9000, 8999)]
>>> print(format_table(rows))       # the second row is marked DIFF
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One compared quantity of one experiment (or registered model)."""

    what: str
    quantity: str
    source: int
    target: int

    @property
    def ok(self) -> bool:
        """True when source and target agree."""
        return self.source == self.target


def format_table(rows: list[Row]) -> str:
    """The rows as an aligned text table with an ``ok``/``DIFF`` column.

    >>> format_table([Row("alpha", "runs", 3, 3)]).splitlines()[1].split()
    ['alpha', 'runs', '3', '3', 'ok']
    """
    header = ("experiment", "quantity", "source", "target", "")
    body = [(r.what, r.quantity, f"{r.source:,}", f"{r.target:,}", "ok" if r.ok else "DIFF") for r in rows]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    lines = []
    for line in [header, *body]:
        cells = [line[0].ljust(widths[0]), line[1].ljust(widths[1]), line[2].rjust(widths[2]), line[3].rjust(widths[3]), line[4]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


__all__ = ["Row", "format_table"]

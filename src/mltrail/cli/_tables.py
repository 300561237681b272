"""Plain-text output for the CLI: aligned tables and key/value blocks, no dependency.

    >>> print(format_table(["Id", "Name"], [["0", "Default"], ["12", "nyc-taxi"]]))
    Id  Name
    --  --------
    0   Default
    12  nyc-taxi
"""

from __future__ import annotations

import datetime
from typing import Any, Optional, Sequence


def cell(value: Any) -> str:
    """The text of one cell: '' for None, numbers compact, newlines flattened.

    >>> cell(None), cell(0.123456789), cell(7)
    ('', '0.123457', '7')
    """
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value).replace("\n", " ")


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Columns padded to their widest cell, a dashed rule under the headers.

    >>> format_table(["a"], [[1]])
    'a\\n-\\n1'
    """
    texts = [[cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in texts:
        for i, text in enumerate(row):
            widths[i] = max(widths[i], len(text))
    lines = [
        "  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    for row in texts:
        lines.append("  ".join(t.ljust(w) for t, w in zip(row, widths)).rstrip())
    return "\n".join(lines)


def format_fields(fields: Sequence[tuple[str, Any]]) -> str:
    """``name: value`` lines with the values aligned.

    >>> print(format_fields([("Run id", "abc"), ("Status", "FINISHED")]))
    Run id:  abc
    Status:  FINISHED
    """
    width = max((len(name) for name, _ in fields), default=0) + 1
    return "\n".join(f"{(name + ':').ljust(width)}  {cell(value)}" for name, value in fields)


def format_time(epoch_ms: Optional[int]) -> str:
    """Epoch milliseconds as local ``YYYY-MM-DD HH:MM:SS`` ('' for None).

    >>> format_time(None)
    ''
    """
    if epoch_ms is None:
        return ""
    return datetime.datetime.fromtimestamp(epoch_ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def format_duration(start_ms: Optional[int], end_ms: Optional[int]) -> str:
    """``250ms``, ``1.2s``, ``3m04s``, ``2h05m`` between two epoch-ms times ('' when either is missing).

    >>> format_duration(0, 184_000)
    '3m04s'
    """
    if start_ms is None or end_ms is None:
        return ""
    seconds = max(0.0, (end_ms - start_ms) / 1000)
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"

"""A one-line progress bar on stderr (runs, metric rows, bytes), drawn only on a terminal.

>>> progress = Progress(total_runs=10_000)
>>> progress.add(runs=500, metrics=50_000)
>>> progress.done()
"""

from __future__ import annotations

import sys
import time
from typing import IO, Optional


class Progress:
    """Counts what was moved and redraws the line at most ten times a second (see the module docstring)."""

    def __init__(self, total_runs: int, stream: Optional[IO[str]] = None) -> None:
        self.total_runs = total_runs
        self.runs = self.metrics = self.bytes = 0
        self._stream = stream if stream is not None else sys.stderr
        self._tty = bool(getattr(self._stream, "isatty", lambda: False)())
        self._drawn = 0.0

    def add(self, runs: int = 0, metrics: int = 0, bytes: int = 0) -> None:
        """Count more moved runs, metric rows and artifact bytes."""
        self.runs += runs
        self.metrics += metrics
        self.bytes += bytes
        now = time.monotonic()
        if self._tty and now - self._drawn >= 0.1:
            self._drawn = now
            self._draw()

    def _draw(self) -> None:
        width = 30
        share = self.runs / self.total_runs if self.total_runs else 1.0
        bar = "#" * int(width * min(share, 1.0))
        self._stream.write(
            f"\r[{bar:<{width}}] runs {self.runs:,}/{self.total_runs:,}  metrics {self.metrics:,}  "
            f"artifacts {self.bytes / 1e6:,.1f} MB "
        )
        self._stream.flush()

    def done(self) -> None:
        """Draw the final state and end the line."""
        if self._tty:
            self._draw()
            self._stream.write("\n")
            self._stream.flush()


__all__ = ["Progress"]

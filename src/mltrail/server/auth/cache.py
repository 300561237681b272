"""A small in-memory cache whose entries expire (credential and permission checks).

The server stays stateless: every entry is re-read from the database after ``ttl`` seconds, so a
revoked token or a changed permission takes effect on every worker within the TTL::

    >>> cache = TTLCache(ttl=10)
    >>> cache.put("k", 1); cache.get("k")
    1
"""

from __future__ import annotations

import time
from typing import Any, Callable, Hashable, Optional

MISSING = object()


class TTLCache:
    """``key -> value`` entries kept ``ttl`` seconds (at most ``max_entries``; all dropped when full)."""

    def __init__(self, ttl: float, max_entries: int = 100_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, Any]] = {}

    def get(self, key: Hashable) -> Any:
        """The live value for ``key``, or :data:`MISSING`."""
        entry = self._entries.get(key)
        if entry is None:
            return MISSING
        if entry[0] < time.monotonic():
            self._entries.pop(key, None)
            return MISSING
        return entry[1]

    def put(self, key: Hashable, value: Any, ttl: Optional[float] = None) -> None:
        """Keep ``value`` for ``ttl`` seconds (the cache's TTL when None)."""
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + (self.ttl if ttl is None else ttl), value)

    def discard_where(self, predicate: Callable[[Hashable, Any], bool]) -> None:
        """Drop every entry for which ``predicate(key, value)`` is true."""
        for key, (_, value) in list(self._entries.items()):
            if predicate(key, value):
                self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

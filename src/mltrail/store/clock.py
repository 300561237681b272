"""The store's clock: every stored time (run start/end, metric timestamps, registry times) is epoch milliseconds.

>>> now_ms() > 1_700_000_000_000
True
"""

from __future__ import annotations

import time


def now_ms() -> int:
    """The current time in epoch milliseconds, the unit of every timestamp mltrail stores.

    >>> from mltrail.store.clock import now_ms
    >>> isinstance(now_ms(), int)
    True
    """
    return int(time.time() * 1000)

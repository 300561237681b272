"""How autologging tells the user that something was not logged.

Every problem inside our logging ends up here, never in the user's code.
Messages go to the ``mltrail.autologging`` logger at WARNING level, each
distinct message once per process (repeats go to DEBUG), and not at all
above DEBUG when the integration runs with ``silent=True``::

    warn_once("sklearn: could not log the model: PicklingError: ...")
"""

from __future__ import annotations

import logging
import threading

logger = logging.getLogger("mltrail.autologging")

_MAX_REMEMBERED = 1000
_lock = threading.Lock()
_seen: dict[str, None] = {}


def warn_once(message: str, *, silent: bool = False) -> bool:
    """Log ``message`` as a warning the first time it is seen in this process.

    Returns True when it was emitted at WARNING level.
    """
    if silent:
        logger.debug(message)
        return False
    with _lock:
        if message in _seen:
            first = False
        else:
            first = True
            if len(_seen) >= _MAX_REMEMBERED:
                _seen.pop(next(iter(_seen)))
            _seen[message] = None
    if first:
        logger.warning(message)
    else:
        logger.debug(message)
    return first


def describe_error(exc: BaseException) -> str:
    """``"TypeError: message"`` - short, one line, for a warning."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = text if len(text) <= 300 else text[:297] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def forget_warnings() -> None:
    """Forget which messages were emitted (so tests can observe each warning)."""
    with _lock:
        _seen.clear()

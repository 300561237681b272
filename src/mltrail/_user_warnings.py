"""Warnings that point at the user's line, however deep inside mltrail they are raised.

A fixed ``stacklevel`` breaks whenever the call chain changes (another entry point, a context
manager, a wrapper); :func:`warn_user` walks out of mltrail's own modules (``mltrail``, the
``mltrail_*`` integrations, ``contextlib``) to the first frame of the caller's code::

    warn_user("Model folder 'm' records no file hashes: it is loaded unverified", UnverifiedModelWarning)
"""

from __future__ import annotations

import sys
import warnings


def _internal(module: str) -> bool:
    return module == "contextlib" or module.split(".", 1)[0].startswith("mltrail")


def warn_user(message: str, category: type[Warning]) -> None:
    """``warnings.warn(message, category)`` attributed to the first caller outside mltrail."""
    frame, level = sys._getframe(1), 2
    while frame is not None and _internal(frame.f_globals.get("__name__", "")):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)

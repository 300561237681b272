"""Framework version checks for integrations.

Versions are compared on their leading numeric release parts, so
``"1.5.2"``, ``"1.5.2.post1"`` and ``"2.0.0rc1"`` all compare sensibly
without a dependency on ``packaging``::

    >>> is_supported("1.5.2", min_version="1.2", max_version="1.9")
    True
    >>> is_supported("2.0.0", min_version="1.2", max_version="1.9")
    False
"""

from __future__ import annotations

import re
from typing import Optional

_RELEASE = re.compile(r"^\s*v?(\d+(?:\.\d+)*)")


def release_tuple(version: str) -> tuple[int, ...]:
    """The numeric release part of a version string: ``"1.5.2rc1"`` -> ``(1, 5, 2)``.

    >>> release_tuple("3.2.0")
    (3, 2, 0)
    """
    match = _RELEASE.match(str(version))
    if match is None:
        return ()
    return tuple(int(part) for part in match.group(1).split("."))


def is_supported(version: str, min_version: Optional[str] = None, max_version: Optional[str] = None) -> bool:
    """True when ``min_version <= version`` and ``version``'s release starts at or below ``max_version``.

    ``max_version`` is inclusive at its own precision: ``max_version="1.9"``
    accepts every ``1.9.x``. An unparseable version is treated as supported
    (the check is advisory; we never refuse to run on a guess).
    """
    current = release_tuple(version)
    if not current:
        return True
    if min_version is not None and current < release_tuple(min_version):
        return False
    if max_version is not None:
        upper = release_tuple(max_version)
        if current[: len(upper)] > upper:
            return False
    return True


def installed_version(distribution: str, module: object = None) -> Optional[str]:
    """Installed version of ``distribution`` (metadata first, then ``module.__version__``)."""
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        version = getattr(module, "__version__", None)
        return str(version) if version is not None else None

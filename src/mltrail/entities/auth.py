"""Users, API tokens and permission levels of ``mltrail server --auth`` (MLflow's basic-auth names).

A level grants everything the lower ones do: ``MANAGE ⊃ EDIT ⊃ READ ⊃ NO_PERMISSIONS``::

    >>> Permission.EDIT.allows(Permission.READ), Permission.READ.allows(Permission.EDIT)
    (True, False)
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Optional


class Permission(enum.IntEnum):
    """What a user may do on an experiment or a registered model."""

    NO_PERMISSIONS = 0
    READ = 1  # see it, its runs, metrics and artifacts
    EDIT = 2  # log to it, change tags, names and descriptions
    MANAGE = 3  # delete it, restore it, and grant or revoke others' permissions on it

    def allows(self, needed: "Permission") -> bool:
        """Whether this level covers ``needed``."""
        return self >= needed

    @classmethod
    def parse(cls, value: "str | Permission") -> "Permission":
        """The level named ``value`` (any case); InvalidParameterError naming the choices otherwise.

        >>> Permission.parse("edit")
        <Permission.EDIT: 2>
        """
        if isinstance(value, Permission):
            return value
        try:
            return cls[str(value).strip().upper()]
        except KeyError:
            from ..exceptions import InvalidParameterError

            raise InvalidParameterError(
                f"Invalid permission {value!r}: must be one of {', '.join(p.name for p in cls)}"
            ) from None


@dataclass(frozen=True)
class User:
    """A user (never carries the password or its hash)."""

    id: int
    username: str
    is_admin: bool = False


@dataclass(frozen=True)
class ApiToken:
    """An API token's record: the token itself is only in the answer of its creation."""

    id: int
    username: str
    name: str
    creation_time: int
    expiry_time: Optional[int] = None

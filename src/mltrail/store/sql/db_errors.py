"""Driver errors -> mltrail errors, in one place for every SQL store operation.

Validation refuses bad values before a write, so a driver error normally
means the database cannot be used. What it means, by kind:

- the database refused a value (PostgreSQL/MySQL ``DataError``: out of range,
  bad encoding; a driver's ``OverflowError`` or ``UnicodeEncodeError``) or a
  query too large for it ("Expression tree is too large", "too many tables",
  "too many SQL variables"): :class:`~mltrail.exceptions.InvalidParameterError`
  (INVALID_PARAMETER_VALUE: a bad request, not an outage);
- anything else operational (connection refused or lost, timeouts, a locked
  SQLite file): :class:`~mltrail.exceptions.StoreUnavailableError`.

Integrity and programming errors are left alone (callers handle the first;
the second is a bug to see).

>>> error = translate(exc, "postgresql://db/mlflow", "Tracking")   # doctest: +SKIP
>>> raise error from exc                                           # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, Optional

import sqlalchemy as sa

from ...exceptions import InvalidParameterError, MltrailError, StoreUnavailableError
from .engine import redact

#: Phrases of database errors that mean "this query is too large for the database".
_TOO_LARGE = (
    "expression tree is too large",
    "too many tables",
    "at most 64 tables in a join",
    "too many sql variables",
    "too many terms in",
    "parser stack overflow",
    "too many columns",
    "too many arguments",
    "stack depth limit exceeded",
    "thread stack overrun",
)

#: Python errors drivers raise for a value they cannot send.
VALUE_ERRORS = (OverflowError, UnicodeError)


def _detail(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else type(orig).__name__


def translate(exc: BaseException, uri: Any, what: str) -> Optional[MltrailError]:
    """The mltrail error for a driver/SQLAlchemy error ``exc`` (None: let it propagate).

    ``what`` names the database in messages ("Tracking", "Registry").
    """
    orig = getattr(exc, "orig", None) or exc
    if isinstance(orig, MltrailError):
        return None
    if isinstance(orig, VALUE_ERRORS):
        return InvalidParameterError(f"{what} database refused a value: {type(orig).__name__}: {_detail(orig)}")
    kinds = {cls.__name__ for cls in type(orig).__mro__}
    if "IntegrityError" in kinds:
        return None
    detail = _detail(exc)
    if "DataError" in kinds:
        return InvalidParameterError(f"{what} database refused a value: {detail}")
    if any(phrase in detail.lower() for phrase in _TOO_LARGE):
        return InvalidParameterError(
            f"{what} database refused the query as too large ({detail}): use fewer filter "
            f"comparisons or order_by keys"
        )
    if kinds & {"OperationalError", "InterfaceError", "InternalError"}:
        return StoreUnavailableError(f"{what} database {redact(uri)} failed: {detail}")
    return None


def is_driver_error(exc: BaseException, dbapi_error: type[BaseException]) -> bool:
    """True for errors :func:`translate` may map: DBAPI errors (wrapped or raw) and value errors."""
    return isinstance(exc, (dbapi_error, sa.exc.DBAPIError, *VALUE_ERRORS))

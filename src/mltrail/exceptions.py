"""Errors raised by mltrail.

Every error is an :class:`MltrailError` carrying an ``error_code`` from
MLflow's REST vocabulary, so the server can answer with the same codes and a
script that catches ``MlflowException`` keeps working::

    from mltrail.exceptions import MltrailError
    try:
        mltrail.log_metric("rmse", "not a number")
    except MltrailError as e:
        print(e.error_code, e)   # INVALID_PARAMETER_VALUE ...
"""

from __future__ import annotations

INTERNAL_ERROR = "INTERNAL_ERROR"
INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
RESOURCE_DOES_NOT_EXIST = "RESOURCE_DOES_NOT_EXIST"
RESOURCE_ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS"
INVALID_STATE = "INVALID_STATE"
BAD_REQUEST = "BAD_REQUEST"
TEMPORARILY_UNAVAILABLE = "TEMPORARILY_UNAVAILABLE"

_HTTP_STATUS = {
    INTERNAL_ERROR: 500,
    INVALID_PARAMETER_VALUE: 400,
    BAD_REQUEST: 400,
    INVALID_STATE: 400,
    RESOURCE_DOES_NOT_EXIST: 404,
    RESOURCE_ALREADY_EXISTS: 400,
    TEMPORARILY_UNAVAILABLE: 503,
}


class MltrailError(Exception):
    """Base class of every error mltrail raises on purpose.

    >>> raise MltrailError("bad", error_code=INVALID_PARAMETER_VALUE)
    """

    default_error_code = INTERNAL_ERROR

    def __init__(self, message: str, error_code: str | None = None) -> None:
        super().__init__(message)
        self.message = str(message)
        self.error_code = error_code or self.default_error_code

    @property
    def http_status(self) -> int:
        return _HTTP_STATUS.get(self.error_code, 500)

    def to_dict(self) -> dict[str, str]:
        return {"error_code": self.error_code, "message": self.message}


class InvalidParameterError(MltrailError):
    """A value broke a validation rule; the message names the value and the rule."""

    default_error_code = INVALID_PARAMETER_VALUE


class ResourceNotFoundError(MltrailError):
    """An experiment, run, model, version or artifact does not exist."""

    default_error_code = RESOURCE_DOES_NOT_EXIST


class ResourceAlreadyExistsError(MltrailError):
    """Something with that name or key exists already."""

    default_error_code = RESOURCE_ALREADY_EXISTS


class InvalidStateError(MltrailError):
    """The object is in a state that forbids the operation (e.g. a deleted run)."""

    default_error_code = INVALID_STATE


class StoreUnavailableError(MltrailError):
    """The tracking database or artifact store cannot be reached or read."""

    default_error_code = TEMPORARILY_UNAVAILABLE


class ModelIntegrityError(MltrailError):
    """A model folder does not match the hashes recorded in its MLmodel file."""

    default_error_code = INVALID_STATE


# MLflow's name, so `except mlflow.exceptions.MlflowException` keeps working.
MlflowException = MltrailError

__all__ = [
    "MltrailError",
    "MlflowException",
    "InvalidParameterError",
    "ResourceNotFoundError",
    "ResourceAlreadyExistsError",
    "InvalidStateError",
    "StoreUnavailableError",
    "ModelIntegrityError",
    "INTERNAL_ERROR",
    "INVALID_PARAMETER_VALUE",
    "RESOURCE_DOES_NOT_EXIST",
    "RESOURCE_ALREADY_EXISTS",
    "INVALID_STATE",
    "BAD_REQUEST",
    "TEMPORARILY_UNAVAILABLE",
]

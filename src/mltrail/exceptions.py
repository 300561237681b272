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

from typing import Any

INTERNAL_ERROR = "INTERNAL_ERROR"
INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
RESOURCE_DOES_NOT_EXIST = "RESOURCE_DOES_NOT_EXIST"
RESOURCE_ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS"
INVALID_STATE = "INVALID_STATE"
BAD_REQUEST = "BAD_REQUEST"
TEMPORARILY_UNAVAILABLE = "TEMPORARILY_UNAVAILABLE"

#: HTTP status per error code, as MLflow's server answers them (MLflow's name and table,
#: ``mlflow.exceptions.ERROR_CODE_TO_HTTP_STATUS``); the server starts from it.
ERROR_CODE_TO_HTTP_STATUS: dict[str, int] = {
    INTERNAL_ERROR: 500,
    INVALID_STATE: 500,
    "DATA_LOSS": 500,
    "NOT_IMPLEMENTED": 501,
    TEMPORARILY_UNAVAILABLE: 503,
    "DEADLINE_EXCEEDED": 504,
    "REQUEST_LIMIT_EXCEEDED": 429,
    "CANCELLED": 499,
    "RESOURCE_EXHAUSTED": 429,
    "ABORTED": 409,
    "RESOURCE_CONFLICT": 409,
    "ALREADY_EXISTS": 409,
    "NOT_FOUND": 404,
    "ENDPOINT_NOT_FOUND": 404,
    RESOURCE_DOES_NOT_EXIST: 404,
    "PERMISSION_DENIED": 403,
    "CUSTOMER_UNAUTHORIZED": 401,
    "UNAUTHENTICATED": 401,
    BAD_REQUEST: 400,
    RESOURCE_ALREADY_EXISTS: 400,
    INVALID_PARAMETER_VALUE: 400,
}


def http_status_for(error_code: str) -> int:
    """The HTTP status MLflow's server answers with for ``error_code`` (500 for an unknown code).

    >>> http_status_for("RESOURCE_DOES_NOT_EXIST"), http_status_for("INVALID_STATE")
    (404, 500)
    """
    return ERROR_CODE_TO_HTTP_STATUS.get(error_code, 500)


class MltrailError(Exception):
    """Base class of every error mltrail raises on purpose.

    >>> raise MltrailError("bad", error_code=INVALID_PARAMETER_VALUE)
    """

    default_error_code = INTERNAL_ERROR

    def __init__(self, message: Any, error_code: str | None = None, **kwargs: Any) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.error_code = error_code or self.default_error_code
        #: Extra fields of the JSON body (MLflow's ``json_kwargs``).
        self.json_kwargs = kwargs

    @property
    def http_status(self) -> int:
        """The HTTP status of this error (see :func:`http_status_for`)."""
        return http_status_for(self.error_code)

    def get_http_status_code(self) -> int:
        """MLflow's name for :attr:`http_status`.

        >>> MlflowException("no such run", error_code="RESOURCE_DOES_NOT_EXIST").get_http_status_code()
        404
        """
        return http_status_for(self.error_code)

    def serialize_as_json(self) -> str:
        """The error as MLflow's JSON body: ``{"error_code": ..., "message": ...}``."""
        import json

        return json.dumps(self.to_dict())

    @classmethod
    def invalid_parameter_value(cls, message: str, **kwargs: Any) -> "MltrailError":
        """An error with code INVALID_PARAMETER_VALUE (MLflow's constructor of that name).

        >>> raise MlflowException.invalid_parameter_value("alpha must be positive, got -1")
        """
        if cls is MltrailError:
            return InvalidParameterError(message, **kwargs)
        return cls(message, error_code=INVALID_PARAMETER_VALUE, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        """The JSON body of the error: error code, message and any extra fields given."""
        return {"error_code": self.error_code, "message": self.message, **self.json_kwargs}


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


class PermissionDeniedError(MltrailError):
    """The caller is known but may not do this (HTTP 403 on an authenticated server)."""

    default_error_code = "PERMISSION_DENIED"


class UnauthenticatedError(MltrailError):
    """No valid credential came with the request (HTTP 401 on an authenticated server)."""

    default_error_code = "UNAUTHENTICATED"


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
    "PermissionDeniedError",
    "UnauthenticatedError",
    "INTERNAL_ERROR",
    "INVALID_PARAMETER_VALUE",
    "RESOURCE_DOES_NOT_EXIST",
    "RESOURCE_ALREADY_EXISTS",
    "INVALID_STATE",
    "BAD_REQUEST",
    "TEMPORARILY_UNAVAILABLE",
    "ERROR_CODE_TO_HTTP_STATUS",
    "http_status_for",
]

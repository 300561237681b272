"""Error bodies and MLflow's HTTP status for each error code.

Every error the server returns is ``{"error_code": <code name>, "message": ...}``;
the stock MLflow client branches on the code (``RESOURCE_DOES_NOT_EXIST`` makes
``get_experiment_by_name`` return None) and retries on 429/5xx::

    error_response("RESOURCE_DOES_NOT_EXIST", "No run with id 'abc'")   # 404
"""

from __future__ import annotations

import errno
import functools
from typing import Awaitable, Callable, Optional

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..exceptions import ERROR_CODE_TO_HTTP_STATUS, MltrailError

MALFORMED_REQUEST = "MALFORMED_REQUEST"
ENDPOINT_NOT_FOUND = "ENDPOINT_NOT_FOUND"

#: MLflow's status per code (``mlflow.exceptions.ERROR_CODE_TO_HTTP_STATUS``), except that
#: INVALID_STATE is a 400 here: it answers a client's request about a deleted object, which a
#: client must not retry (MLflow's client retries 500s).
HTTP_STATUS: dict[str, int] = {**ERROR_CODE_TO_HTTP_STATUS, "INVALID_STATE": 400, MALFORMED_REQUEST: 400}


def error_response(code: str, message: str, status: Optional[int] = None, headers: Optional[dict] = None) -> JSONResponse:
    """The JSON error body with MLflow's status for ``code`` (500 for an unknown code).

    >>> error_response("INVALID_PARAMETER_VALUE", "bad").status_code
    400
    """
    return JSONResponse(
        {"error_code": code, "message": message},
        status_code=status or HTTP_STATUS.get(code, 500),
        headers=headers,
    )


#: Errors of the artifact destination's filesystem that a retry will not fix soon.
_STORAGE_ERRNOS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT})


def storage_error(exc: BaseException) -> Optional[JSONResponse]:
    """507 ``INSUFFICIENT_STORAGE`` when ``exc`` is the artifact destination refusing a write (read-only,
    not permitted, full); None for anything else. Not a 500: clients retry those, to no avail.

    >>> storage_error(OSError(errno.ENOSPC, "No space left on device")).status_code
    507
    """
    if not isinstance(exc, OSError) or exc.errno not in _STORAGE_ERRNOS:
        return None
    return error_response("INSUFFICIENT_STORAGE", f"The server could not store the artifact: {exc.strerror}", 507)


def answering_errors(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    """Wrap an artifact endpoint: an MltrailError becomes its error body, the destination refusing a
    write a 507 (:func:`storage_error`); anything else propagates (a 500).

    >>> Route(PREFIX + "/{artifact_path:path}", answering_errors(artifact), methods=["GET", "PUT"])
    """

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except MltrailError as exc:
            return error_response(exc.error_code, exc.message)
        except OSError as exc:
            answer = storage_error(exc)
            if answer is None:
                raise
            return answer

    return endpoint

"""MLflow's file download routes, which its web UI and some scripts use:

- ``GET /get-artifact?path=<file>&run_uuid=<run id>`` (or ``run_id=``): a run's artifact file;
- ``GET /model-versions/get-artifact?path=<file>&name=<model>&version=<n>``: a file of a
  registered version.

Both send the file as an attachment (``Content-Disposition: attachment``, ``nosniff``), never
displayed on the server's origin, as MLflow's server does; errors are MLflow's JSON errors.
Paths go through the artifact repository's own checks (no ``..``, no absolute paths).

>>> # curl -OJ 'http://127.0.0.1:5000/get-artifact?path=model/MLmodel&run_uuid=<run id>'
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ...exceptions import InvalidParameterError
from .artifact_views import LocalCopy, run_models
from .pages import get_run, registry_store, tracking_store
from .rendering import ajax_handler


def _required(request: Request, *names: str) -> str:
    for name in names:
        value = request.query_params.get(name)
        if value:
            return value
    raise InvalidParameterError(f"Missing value for required parameter {' or '.join(repr(n) for n in names)}")


def _attachment(copy: LocalCopy) -> Response:
    import mimetypes

    return copy.response(mimetypes.guess_type(copy.rel)[0] or "application/octet-stream", attachment=True)


@ajax_handler
async def run_artifact(request: Request) -> Response:
    """``/get-artifact``: one file of a run's artifacts (or of a model it logged, by its name)."""
    path = _required(request, "path")
    run = get_run(request, _required(request, "run_uuid", "run_id"))
    models = run_models(tracking_store(request), run)
    return _attachment(await run_in_threadpool(LocalCopy, run, path, models))  # S3 may be slow


@ajax_handler
async def model_version_artifact(request: Request) -> Response:
    """``/model-versions/get-artifact``: one file of a registered version's (copied) files."""
    path, name, version = (_required(request, n) for n in ("path", "name", "version"))
    uri = registry_store(request).get_model_version_download_uri(name, version)
    owner = f"version {version} of registered model {name!r}"
    return _attachment(await run_in_threadpool(LocalCopy.in_folder, uri, path, owner))

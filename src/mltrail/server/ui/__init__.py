"""The web UI: server-rendered pages, small JS modules, JSON endpoints under ``/ajax-api/ui/``.

The server app appends :func:`routes` after its API routes; handlers read
``request.app.state.tracking_store``, ``registry_store`` and
``artifact_root``. Charts are the UI's own small SVG code (``static/plot.js``);
the contour plot uses plotly.js from the installed ``plotly`` package, served
at ``/static-ui/plotly.min.js`` and loaded only when that plot is drawn
(nothing is copied into this repository).

>>> from starlette.applications import Starlette
>>> app = Starlette(routes=routes())
"""

from __future__ import annotations

import os
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ...exceptions import ResourceNotFoundError
from ..auth.access import (
    ANY_USER,
    EDIT,
    MANAGE,
    READ,
    creates,
    on_experiment,
    on_experiments,
    on_model,
    on_model_or_new,
    on_run,
    on_runs,
)
from ..auth.routes_guard import guarded
from . import actions, data, downloads, model_pages, pages
from .artifact_views import LocalCopy, media_type, run_models
from .rendering import page_handler

STATIC_DIR = os.path.join(os.path.dirname(__file__), "static")


def plotly_js_path() -> str:
    """The plotly.js bundle inside the installed ``plotly`` package."""
    import importlib.util

    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise ResourceNotFoundError("plotly is not installed: pip install plotly (charts need its plotly.js)")
    path = os.path.join(list(spec.submodule_search_locations)[0], "package_data", "plotly.min.js")
    if not os.path.isfile(path):
        raise ResourceNotFoundError(f"plotly.js not found at {path!r}: reinstall plotly")
    return path


@page_handler
async def plotly_js(request: Request) -> Response:
    """plotly.min.js from the installed wheel, cacheable for a day."""
    return FileResponse(plotly_js_path(), media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})


@page_handler
async def raw_artifact(request: Request) -> Response:
    """A run's artifact file, sandboxed by CSP; ``?download=1`` makes it an attachment."""
    run = pages.get_run(request, request.path_params["run_id"])
    models = run_models(pages.tracking_store(request), run)
    copy = await run_in_threadpool(LocalCopy, run, request.query_params.get("path", ""), models)  # S3 may be slow
    if request.query_params.get("download") == "1":
        return copy.response("application/octet-stream", attachment=True)
    return copy.response(media_type(copy.rel), attachment=False)


def routes() -> list[Any]:
    """The UI's routes, to append after the server's API routes; each declares its permission rule
    (checked with ``--auth``; see :mod:`mltrail.server.auth.access`).

    >>> [r.path for r in routes()][:2]
    ['/', '/experiments']
    """
    ui = "/ajax-api/ui"
    read_run, edit_run = on_run(READ), on_run(EDIT)
    read_exps = on_experiments(READ)
    compared = on_runs(READ, "runs", on_run(READ, "parent"))
    table = (
        ("/", pages.experiments_page, ANY_USER),  # lists only what the user may read
        ("/experiments", pages.experiments_page, ANY_USER),
        ("/experiments/{experiment_id}", pages.experiment_redirect, ANY_USER),  # a redirect to /runs
        ("/runs", pages.runs_page, read_exps),
        ("/runs/{run_id}", pages.run_page, read_run),
        ("/runs/{run_id}/sweep", pages.sweep_page, read_run),
        ("/runs/{run_id}/artifact", raw_artifact, read_run),
        ("/compare", pages.compare_page, compared),
        # MLflow's download routes (its web UI's): a file as an attachment
        ("/get-artifact", downloads.run_artifact, on_run(READ, "run_uuid", on_run(READ, "run_id"))),
        ("/model-versions/get-artifact", downloads.model_version_artifact, on_model(READ)),
        ("/models", model_pages.models_page, ANY_USER),  # lists only what the user may read
        ("/models/{name}/versions/{version}", model_pages.version_page, on_model(READ)),
        ("/models/{name}", model_pages.model_page, on_model(READ)),
        (f"{ui}/runs", data.runs_data, read_exps),
        (f"{ui}/keys", data.keys_data, read_exps),
        (f"{ui}/groups", data.groups_data, read_exps),
        (f"{ui}/changes", data.changes_data, read_exps),
        (f"{ui}/metric-history", data.history_data, on_runs(READ, "runs")),
        (f"{ui}/compare", data.compare_data, compared),
        (f"{ui}/sweep/{{run_id}}", data.sweep_json, read_run),
        (f"{ui}/artifacts", data.artifacts_data, read_run),
        (f"{ui}/artifact-preview", data.preview_data, read_run),
        (f"{ui}/diagnostic", data.diagnostic_data, read_run),
    )
    writes = (
        (f"{ui}/experiments/create", actions.create_experiment, creates("experiment")),
        (f"{ui}/experiments/rename", actions.rename_experiment, on_experiment(EDIT)),
        (f"{ui}/experiments/delete", actions.delete_experiment, on_experiment(MANAGE)),
        (f"{ui}/experiments/restore", actions.restore_experiment, on_experiment(MANAGE)),
        (f"{ui}/experiments/set-tag", actions.set_experiment_tag, on_experiment(EDIT)),
        (f"{ui}/runs/set-tag", actions.set_run_tag, edit_run),
        (f"{ui}/runs/delete-tag", actions.delete_run_tag, edit_run),
        (f"{ui}/models/register", actions.register_model, on_model_or_new(EDIT, "name", read_run)),
        (f"{ui}/models/transition", actions.transition_stage, on_model(EDIT)),
        (f"{ui}/models/set-alias", actions.set_alias, on_model(EDIT)),
        (f"{ui}/models/delete-alias", actions.delete_alias, on_model(EDIT)),
        (f"{ui}/models/description", actions.update_description, on_model(EDIT)),
        (f"{ui}/models/set-tag", actions.set_model_tag, on_model(EDIT)),
        (f"{ui}/models/delete-tag", actions.delete_model_tag, on_model(EDIT)),
    )
    return [
        *(Route(path, guarded(access, handler)) for path, handler, access in table),
        Route("/static-ui/plotly.min.js", plotly_js),  # static files need no sign-in
        Mount("/static-ui", StaticFiles(directory=STATIC_DIR), name="static-ui"),
        *(Route(path, guarded(access, handler), methods=["POST"]) for path, handler, access in writes),
    ]


__all__ = ["routes", "plotly_js_path"]

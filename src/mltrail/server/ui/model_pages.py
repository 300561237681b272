"""The registry pages: registered models, one model's versions, one version.

Stage transitions, aliases, tags and descriptions are edited through the
POST endpoints of :mod:`.actions` (models.js sends them).

>>> routes = [Route("/models", models_page), Route("/models/{name:path}", model_page)]
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ...exceptions import ResourceNotFoundError
from ..auth.routes_guard import can_read
from .pages import registry_store, tracking_store
from .rendering import page_handler, render

STAGES = ("None", "Staging", "Production", "Archived")


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


@page_handler
async def models_page(request: Request) -> Response:
    """Registered models (``?q=`` searches names, case-insensitively)."""
    store = registry_store(request)
    query = request.query_params.get("q", "").strip()
    filter_string = f"name ILIKE '%{_quoted(query)}%'" if query else None
    found = []
    token = None
    while True:
        page = store.search_registered_models(filter_string, 1000, ["name ASC"], token)
        found.extend(m for m in page if can_read(request, "registered_model", m.name))
        token = page.token
        if not token or len(found) >= 5000:
            break
    return render(request, "models.html", models=found, query=query, title="Models")


@page_handler
async def model_page(request: Request) -> Response:
    """One registered model: description, tags, aliases, versions with stage controls."""
    name = request.path_params["name"]
    store = registry_store(request)
    model = store.get_registered_model(name)
    versions = []
    token = None
    while True:
        page = store.search_model_versions(f"name = '{_quoted(name)}'", 1000, None, token)
        versions.extend(page)
        token = page.token
        if not token:
            break
    versions.sort(key=lambda v: -int(v.version))
    return render(request, "model.html", model=model, versions=versions, stages=STAGES, title=name)


@page_handler
async def version_page(request: Request) -> Response:
    """One model version: stage history, aliases, the source run and its metrics."""
    name = request.path_params["name"]
    version = request.path_params["version"]
    if not version.isdigit():
        raise ResourceNotFoundError(f"Version {version!r} of model {name!r} does not exist (versions are numbers)")
    store = registry_store(request)
    mv = store.get_model_version(name, version)
    history = store.get_model_version_stage_history(name, version)
    run = None
    if mv.run_id:
        try:
            run = tracking_store(request).get_run(mv.run_id)
        except ResourceNotFoundError:
            run = None
    return render(request, "version.html", mv=mv, history=history, run=run, stages=STAGES,
                  title=f"{name} v{version}")

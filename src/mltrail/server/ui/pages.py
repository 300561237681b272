"""The tracking pages: experiments, runs of experiments, a run, compare, sweep.

Pages are rendered on the server; the data-heavy parts (the runs table,
charts) are filled by the page's JS module from ``/ajax-api/ui/...``.

>>> routes = [Route("/", experiments_page)]
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..._system_tags import PARENT_RUN_ID, SOURCE_GIT_COMMIT, SOURCE_NAME, get_tag
from ...entities import ViewType
from ...exceptions import InvalidParameterError, ResourceNotFoundError
from .diagnostics import find_diagnostics
from .history import history_url, metric_summaries
from .queries import experiment_activity
from ..auth.routes_guard import can_read
from .rendering import list_arg, page_handler, render


def tracking_store(request: Request) -> Any:
    """The server's tracking store."""
    return request.app.state.tracking_store


def registry_store(request: Request) -> Any:
    """The server's model-registry store."""
    return request.app.state.registry_store


def get_run(request: Request, run_id: str) -> Any:
    """The run, or ResourceNotFoundError naming the id (also for malformed ids)."""
    if not (len(run_id) == 32 and all(c in "0123456789abcdef" for c in run_id)):
        raise ResourceNotFoundError(f"Run {run_id!r} does not exist (run ids are 32 hexadecimal characters)")
    return tracking_store(request).get_run(run_id)


@page_handler
async def experiments_page(request: Request) -> Response:
    """All experiments with run counts and last activity; search by name; deleted ones on request."""
    store = tracking_store(request)
    query = request.query_params.get("q", "").strip()
    view = "ALL" if request.query_params.get("deleted") == "1" else "ACTIVE_ONLY"
    found = []
    token = None
    while True:
        page = store.search_experiments(ViewType.from_string(view), 1000, None, ["name ASC"], token)
        found.extend(e for e in page if query.lower() in e.name.lower()
                     and can_read(request, "experiment", e.experiment_id))
        token = page.token
        if not token or len(found) >= 5000:
            break
    activity = experiment_activity(store, [e.experiment_id for e in found])
    rows = [
        {"experiment": e, "runs": activity.get(e.experiment_id, (0, None))[0],
         "last": activity.get(e.experiment_id, (0, None))[1] or e.last_update_time}
        for e in found
    ]
    return render(request, "experiments.html", rows=rows, query=query, show_deleted=view == "ALL",
                  title="Experiments")


@page_handler
async def experiment_redirect(request: Request) -> Response:
    """``/experiments/<id>`` is the runs page of that experiment."""
    experiment_id = request.path_params["experiment_id"]
    return RedirectResponse(f"/runs?experiments={experiment_id}", status_code=307)


@page_handler
async def runs_page(request: Request) -> Response:
    """The runs table of one or several experiments (filled by runs.js)."""
    store = tracking_store(request)
    ids = list_arg(request, "experiments")
    if not ids:
        raise InvalidParameterError("No experiment chosen: open /runs?experiments=<id>[,<id>...]")
    experiments = []
    for experiment_id in ids:
        if not experiment_id.isdigit():
            raise ResourceNotFoundError(f"Experiment {experiment_id!r} does not exist (experiment ids are numbers)")
        experiments.append(store.get_experiment(experiment_id))
    title = ", ".join(e.name for e in experiments)
    return render(request, "runs.html", experiments=experiments, title=title)


def _tag_groups(tags: dict[str, str]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    user = sorted((k, v) for k, v in tags.items() if not k.startswith(("mltrail.", "mlflow.")))
    system = sorted((k, v) for k, v in tags.items() if k.startswith(("mltrail.", "mlflow.")))
    return user, system


@page_handler
async def run_page(request: Request) -> Response:
    """One run: info, params, metrics with charts, tags, inputs, artifacts, registered versions."""
    store = tracking_store(request)
    run = get_run(request, request.path_params["run_id"])
    experiment = store.get_experiment(run.info.experiment_id)
    tags = run.data.tags
    parent_id = get_tag(tags, PARENT_RUN_ID)
    parent = None
    if parent_id:
        try:
            parent = store.get_run(parent_id)
        except ResourceNotFoundError:
            parent = None
    from .queries import runs_page as table_page

    children = table_page(store, [run.info.experiment_id], None, [], parent_id=run.info.run_id, limit=500,
                          view="ALL", nested=False)
    summaries = metric_summaries(store, run.info.run_id)
    metrics = [
        {"key": key, "last": run.data.metrics.get(key), "history_url": history_url([run.info.run_id], key),
         **summaries.get(key, {})} for key in sorted(run.data.metrics)
    ]
    user_tags, system_tags = _tag_groups(tags)
    try:
        versions = list(registry_store(request).search_model_versions(f"run_id = '{run.info.run_id}'"))
    except Exception:  # a registry that cannot be read must not hide the run page
        versions = []
    duration = (run.info.end_time - run.info.start_time) if run.info.end_time and run.info.start_time else None
    return render(
        request, "run.html", run=run, experiment=experiment, parent=parent, children=children,
        params=sorted(run.data.params.items()), metrics=metrics, user_tags=user_tags, system_tags=system_tags,
        source=get_tag(tags, SOURCE_NAME), commit=get_tag(tags, SOURCE_GIT_COMMIT), versions=versions,
        duration=duration, inputs=run.inputs.dataset_inputs, diagnostics=find_diagnostics(run),
        title=run.info.run_name or run.info.run_id,
    )


@page_handler
async def compare_page(request: Request) -> Response:
    """Compare chosen runs (``?runs=a,b``) or a parent's children (``?parent=<id>``); charts by compare.js."""
    run_ids = list_arg(request, "runs")
    parent = request.query_params.get("parent")
    if parent:
        get_run(request, parent)
    elif not run_ids:
        raise InvalidParameterError("Nothing to compare: open /compare?runs=<id>,<id>... or /compare?parent=<id>")
    for run_id in run_ids:
        get_run(request, run_id)
    return render(request, "compare.html", run_ids=run_ids, parent=parent, title="Compare runs")


@page_handler
async def sweep_page(request: Request) -> Response:
    """A hyperopt sweep (a parent run): loss per trial, search space, importance (drawn by sweep.js)."""
    run = get_run(request, request.path_params["run_id"])
    from .artifact_views import LocalCopy

    space = None
    try:
        copy = LocalCopy(run, "search_space.json")
        try:
            with open(copy.local, encoding="utf-8", errors="replace") as fh:
                space = fh.read(200_000)
        finally:
            copy.cleanup()
    except ResourceNotFoundError:
        space = None
    import json

    try:
        space = json.dumps(json.loads(space), indent=2) if space else None
    except ValueError:
        pass
    return render(request, "sweep.html", run=run, space=space, title=f"Sweep {run.info.run_name}")

"""Fluent experiment functions: choose the active experiment, create, find, delete, tag.

    import mltrail as mlflow
    mlflow.set_experiment("nyc-taxi-experiment")      # created if missing
    exp = mlflow.get_experiment_by_name("nyc-taxi-experiment")
"""

from __future__ import annotations

import os
from typing import Any, Mapping, Optional, Sequence

from ..entities import Experiment, LifecycleStage, ViewType
from ..exceptions import InvalidParameterError, InvalidStateError, ResourceAlreadyExistsError
from ..store.base import SEARCH_MAX_RESULTS_DEFAULT
from . import _state

DEFAULT_EXPERIMENT_ID = "0"
EXPERIMENT_NAME_ENV = ("MLTRAIL_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_NAME")
EXPERIMENT_ID_ENV = ("MLTRAIL_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_ID")


def _refuse_deleted(experiment: Experiment) -> Experiment:
    if experiment.lifecycle_stage == LifecycleStage.DELETED:
        raise InvalidStateError(
            f"Cannot set a deleted experiment {experiment.name!r} (id {experiment.experiment_id}) as "
            f"the active experiment: restore it with "
            f"MlflowClient().restore_experiment({experiment.experiment_id!r}) or use another name"
        )
    return experiment


def _experiment_by_name_or_create(client: Any, name: str) -> Experiment:
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        try:
            experiment_id = client.create_experiment(name)
        except ResourceAlreadyExistsError:  # another process created it meanwhile
            experiment = client.get_experiment_by_name(name)
        else:
            experiment = client.get_experiment(experiment_id)
    return _refuse_deleted(experiment)


def set_experiment(experiment_name: Optional[str] = None, experiment_id: Optional[str] = None) -> Experiment:
    """Make an experiment the active one for runs started afterwards; create it by name if missing.

    A deleted experiment is refused (InvalidStateError naming it).

    >>> mlflow.set_experiment("nyc-taxi-experiment").name
    'nyc-taxi-experiment'
    """
    if (experiment_name is None) == (experiment_id is None):
        raise InvalidParameterError(
            f"set_experiment takes exactly one of experiment_name and experiment_id "
            f"(got experiment_name={experiment_name!r}, experiment_id={experiment_id!r})"
        )
    client = _state.client_for()
    if experiment_name is not None:
        experiment = _experiment_by_name_or_create(client, experiment_name)
    else:
        experiment = _refuse_deleted(client.get_experiment(str(experiment_id)))
    _state.active_experiments[client.tracking_uri] = experiment.experiment_id
    return experiment


def active_experiment_id(client: Any) -> str:
    """The experiment new runs go to: set_experiment's, else the environment's, else "0".

    ``MLTRAIL_EXPERIMENT_NAME`` / ``MLTRAIL_EXPERIMENT_ID`` (or the MLFLOW_
    names) choose one from the environment.

    >>> active_experiment_id(client_for())
    '0'
    """
    experiment_id = _state.active_experiments.get(client.tracking_uri)
    if experiment_id is not None:
        return experiment_id
    for var in EXPERIMENT_ID_ENV:
        if os.environ.get(var):
            experiment_id = _refuse_deleted(client.get_experiment(os.environ[var])).experiment_id
            break
    else:
        for var in EXPERIMENT_NAME_ENV:
            if os.environ.get(var):
                experiment_id = _experiment_by_name_or_create(client, os.environ[var]).experiment_id
                break
        else:
            experiment_id = DEFAULT_EXPERIMENT_ID
    _state.active_experiments[client.tracking_uri] = experiment_id
    return experiment_id


def create_experiment(
    name: str, artifact_location: Optional[str] = None, tags: Optional[Mapping[str, Any]] = None
) -> str:
    """Create an experiment and return its id.

    >>> mlflow.create_experiment("churn", tags={"team": "crm"})
    '3'
    """
    return _state.client_for().create_experiment(name, artifact_location, tags)


def get_experiment(experiment_id: str) -> Experiment:
    """The experiment with that id (ResourceNotFoundError when unknown).

    >>> mlflow.get_experiment("0").name
    'Default'
    """
    return _state.client_for().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Optional[Experiment]:
    """The experiment with that name, or None.

    >>> mlflow.get_experiment_by_name("Default").experiment_id
    '0'
    """
    return _state.client_for().get_experiment_by_name(name)


def search_experiments(
    view_type: ViewType = ViewType.ACTIVE_ONLY,
    max_results: Optional[int] = None,
    filter_string: Optional[str] = None,
    order_by: Optional[Sequence[str]] = None,
) -> list[Experiment]:
    """All experiments matching the filter (every page), e.g. ``"name LIKE 'nyc%'"``.

    >>> [e.name for e in mlflow.search_experiments(filter_string="name LIKE 'nyc%'")]
    ['nyc-taxi-experiment']
    """
    client = _state.client_for()
    found: list[Experiment] = []
    token = None
    while True:
        page_size = SEARCH_MAX_RESULTS_DEFAULT if max_results is None else min(
            SEARCH_MAX_RESULTS_DEFAULT, max_results - len(found)
        )
        if page_size <= 0:
            break
        page = client.search_experiments(view_type, page_size, filter_string, order_by, token)
        found.extend(page)
        token = page.token
        if not token:
            break
    return found


def delete_experiment(experiment_id: str) -> None:
    """Soft-delete an experiment and its runs.

    >>> mlflow.delete_experiment("3")
    """
    _state.client_for().delete_experiment(experiment_id)


def set_experiment_tag(key: str, value: Any) -> None:
    """Tag the active experiment.

    >>> mlflow.set_experiment_tag("team", "taxi")
    """
    client = _state.client_for()
    client.set_experiment_tag(active_experiment_id(client), key, value)


def set_experiment_tags(tags: Mapping[str, Any]) -> None:
    """Set several tags on the active experiment.

    >>> mlflow.set_experiment_tags({"team": "taxi", "quarter": "Q3"})
    """
    for key, value in tags.items():
        set_experiment_tag(key, value)


def restore_experiment(experiment_id: str) -> None:
    """Bring back a deleted experiment and its runs.

    >>> mlflow.restore_experiment("3")
    """
    _state.client_for().restore_experiment(experiment_id)


def delete_experiment_tag(key: str) -> None:
    """Remove a tag of the active experiment (ResourceNotFoundError when it has no such tag).

    >>> mlflow.delete_experiment_tag("team")
    """
    client = _state.client_for()
    client.delete_experiment_tag(active_experiment_id(client), key)

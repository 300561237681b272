"""Fluent logging: params, metrics, tags and artifacts of the active run.

Each call without an active run starts one (as MLflow does); it is ended
when the process exits. ``run_id=`` targets another run explicitly::

    mlflow.log_param("alpha", 0.01)
    mlflow.log_metric("rmse", 6.9, step=3)
    mlflow.log_dict({"features": ["a", "b"]}, "features.yaml")
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

from ..client import Client
from ..client.async_logging import RunOperations, is_synchronous
from ..client.values import make_metric, make_metrics, make_params, make_tags
from ..exceptions import InvalidParameterError
from ..entities import DATASET_CONTEXT_TAG, Dataset, DatasetInput, InputTag, Param, RunTag
from . import _logged_models, _state
from ._runs import start_run


def _target(run_id: Optional[str]) -> tuple[Client, str]:
    if run_id is not None:
        return _state.client_for(), run_id
    stack = _state.active_runs.get()
    active = stack[-1] if stack else start_run()
    return active._client, active._run_id


def log_metric(
    key: str,
    value: float,
    step: Optional[int] = None,
    synchronous: Optional[bool] = None,
    timestamp: Optional[int] = None,
    run_id: Optional[str] = None,
    model_id: Optional[str] = None,
    dataset: Optional[Dataset] = None,
    **_: Any,
) -> Optional[RunOperations]:
    """Log a metric value to the active run, committed before returning.

    With ``synchronous=False`` (or ``MLFLOW_ENABLE_ASYNC_LOGGING=true``) the value is
    queued, written in a batch by a background thread, and a RunOperations is returned.
    ``model_id`` (or the model chosen with ``set_active_model``) links the
    value to that logged model too, with the ``dataset`` it was measured on
    (such values are written at once).

    >>> mlflow.log_metric("rmse", 6.9)
    >>> for epoch in range(3): mlflow.log_metric("loss", 1 / (epoch + 1), step=epoch)
    """
    if model_id is not None or dataset is not None or _logged_models.links_metrics(run_id):
        client, target = _target(run_id)
        _logged_models.log_linked_metrics(client, target, [make_metric(key, value, timestamp, step)], model_id, dataset)
        return None
    if not is_synchronous(synchronous):
        client, target = _target(run_id)
        return client.log_metric(target, key, value, timestamp, step, synchronous=False)
    if run_id is None:
        stack = _state.active_runs.get()
        active = stack[-1] if stack else start_run()
        active._client.tracking_store.log_metric(active._run_id, make_metric(key, value, timestamp, step))
    else:
        _state.client_for().log_metric(run_id, key, value, timestamp, step)


def log_metrics(
    metrics: Mapping[str, float],
    step: Optional[int] = None,
    synchronous: Optional[bool] = None,
    run_id: Optional[str] = None,
    timestamp: Optional[int] = None,
    model_id: Optional[str] = None,
    dataset: Optional[Dataset] = None,
    **_: Any,
) -> Optional[RunOperations]:
    """Log several metrics at one step, in one transaction (queued with ``synchronous=False``;
    linked to a logged model as in :func:`log_metric`).

    >>> mlflow.log_metrics({"rmse": 6.9, "mae": 4.2}, step=1)
    """
    client, target = _target(run_id)
    if model_id is not None or dataset is not None or _logged_models.links_metrics(target):
        _logged_models.log_linked_metrics(client, target, make_metrics(metrics, step, timestamp), model_id, dataset)
        return None
    return client.log_batch(target, metrics=make_metrics(metrics, step, timestamp), synchronous=synchronous)


def log_param(key: str, value: Any, synchronous: Optional[bool] = None) -> Any:
    """Log a parameter of the active run (stored as ``str(value)``); returns ``value``.

    With ``synchronous=False`` it returns a RunOperations, and a value that
    conflicts with the one stored is logged as an error and raised by its
    ``wait()``, not here (as MLflow's asynchronous logging does).

    >>> mlflow.log_param("alpha", 0.01)
    0.01
    """
    client, target = _target(None)
    if not is_synchronous(synchronous):
        return client.log_param(target, key, value, synchronous=False)
    client.tracking_store.log_param(target, Param(key, value if type(value) is str else str(value)))
    return value


def log_params(
    params: Mapping[str, Any], synchronous: Optional[bool] = None, run_id: Optional[str] = None
) -> Optional[RunOperations]:
    """Log several parameters in one transaction (queued with ``synchronous=False``).

    >>> mlflow.log_params({"alpha": 0.01, "l1_ratio": 0.5})
    """
    client, target = _target(run_id)
    return client.log_batch(target, params=make_params(params), synchronous=synchronous)


def log_input(
    dataset: Dataset,
    context: Optional[str] = None,
    tags: Optional[Mapping[str, str]] = None,
    run_id: Optional[str] = None,
) -> None:
    """Record that the active run consumed ``dataset`` (from :mod:`mltrail.data`), used as ``context``.

    ``context`` (``"train"``, ``"eval"``...) is stored as the input tag
    ``mlflow.data.context``; ``tags`` adds other input tags.

    >>> mlflow.log_input(mlflow.data.from_numpy(X_train, targets=y_train), context="train")
    """
    input_tags = [InputTag(str(k), str(v)) for k, v in (tags or {}).items()]
    if context is not None:
        input_tags.append(InputTag(DATASET_CONTEXT_TAG, str(context)))
    client, target = _target(run_id)
    client.log_inputs(target, [DatasetInput(dataset, input_tags)])


def log_inputs(
    datasets: Optional[Sequence[Optional[Dataset]]] = None,
    contexts: Optional[Sequence[Optional[str]]] = None,
    tags_list: Optional[Sequence[Optional[Mapping[str, str]]]] = None,
    models: Optional[Sequence[Any]] = None,
) -> None:
    """Record several datasets the active run consumed, in one transaction (MLflow's ``log_inputs``).

    ``contexts`` and ``tags_list`` are parallel to ``datasets`` (None entries
    mean no context / no tags); None datasets are skipped.

    >>> mlflow.log_inputs([train, test], contexts=["train", "eval"])
    """
    datasets = list(datasets or ())
    for what, values in (("contexts", contexts), ("tags_list", tags_list)):
        if values is not None and len(values) != len(datasets):
            raise InvalidParameterError(
                f"log_inputs: {what} has {len(values)} entries but datasets has {len(datasets)}: they are parallel lists"
            )
    if models and any(m is not None for m in models):
        raise InvalidParameterError("log_inputs: model inputs (models=) are not recorded by mltrail's log_inputs; "
                                    "give datasets only")
    inputs = []
    for position, dataset in enumerate(datasets):
        if dataset is None:
            continue
        tags = (tags_list[position] if tags_list is not None else None) or {}
        input_tags = [InputTag(str(k), str(v)) for k, v in tags.items()]
        context = contexts[position] if contexts is not None else None
        if context is not None:
            input_tags.append(InputTag(DATASET_CONTEXT_TAG, str(context)))
        inputs.append(DatasetInput(dataset, input_tags))
    client, target = _target(None)
    client.log_inputs(target, inputs)


def set_tag(key: str, value: Any, synchronous: Optional[bool] = None) -> Optional[RunOperations]:
    """Set a tag on the active run (queued with ``synchronous=False``).

    >>> mlflow.set_tag("developer", "data-scientist")
    """
    client, target = _target(None)
    if not is_synchronous(synchronous):
        return client.set_tag(target, key, value, synchronous=False)
    client.tracking_store.set_tag(target, RunTag(key, value if type(value) is str else str(value)))


def set_tags(tags: Mapping[str, Any], synchronous: Optional[bool] = None) -> Optional[RunOperations]:
    """Set several tags on the active run in one transaction (queued with ``synchronous=False``).

    >>> mlflow.set_tags({"developer": "ana", "stage": "dev"})
    """
    client, target = _target(None)
    return client.log_batch(target, tags=make_tags(tags), synchronous=synchronous)


def delete_tag(key: str) -> None:
    """Remove a tag from the active run.

    >>> mlflow.delete_tag("stage")
    """
    client, target = _target(None)
    client.delete_tag(target, key)


def log_run_data(
    params: Optional[Mapping[str, Any]] = None,
    metrics: Optional[Mapping[str, float]] = None,
    tags: Optional[Mapping[str, Any]] = None,
    step: Optional[int] = None,
    run_id: Optional[str] = None,
) -> None:
    """Params, metrics and tags in one transaction (what an autologged call records).

    >>> mltrail.fluent.log_run_data(params={"C": 1.0}, metrics={"accuracy": 0.93}, tags={"estimator": "SVC"})
    """
    client, target = _target(run_id)
    client.log_batch(
        target, metrics=make_metrics(metrics, step), params=make_params(params), tags=make_tags(tags)
    )


# -- artifacts -----------------------------------------------------------------------
def log_table(data: Any, artifact_file: str, run_id: Optional[str] = None) -> None:
    """Store a DataFrame or dict of columns as a table artifact (.json or .parquet; rows appended).

    >>> mlflow.log_table({"inputs": ["What is MLflow?"], "toxicity": [0.0]}, artifact_file="qa.json")
    """
    client, target = _target(run_id)
    client.log_table(target, data, artifact_file)


def load_table(
    artifact_file: str, run_ids: Optional[Sequence[str]] = None, extra_columns: Optional[Sequence[str]] = None
) -> Any:
    """The table ``artifact_file`` of the active experiment's runs that logged it (or of ``run_ids``), joined.

    >>> mlflow.load_table("qa.json", extra_columns=["run_id"])
    """
    from ._experiments import active_experiment_id

    client = _state.client_for()
    return client.load_table(active_experiment_id(client), artifact_file, run_ids, extra_columns)


def log_artifact(local_path: str, artifact_path: Optional[str] = None, run_id: Optional[str] = None) -> None:
    """Copy a local file into the active run's artifacts.

    >>> mlflow.log_artifact("vectorizer.pkl", artifact_path="extra_artifacts")
    """
    client, target = _target(run_id)
    client.log_artifact(target, local_path, artifact_path)


def log_artifacts(local_dir: str, artifact_path: Optional[str] = None, run_id: Optional[str] = None) -> None:
    """Copy a local folder's contents into the active run's artifacts.

    >>> mlflow.log_artifacts("outputs", artifact_path="outputs")
    """
    client, target = _target(run_id)
    client.log_artifacts(target, local_dir, artifact_path)


def log_text(text: str, artifact_file: str, run_id: Optional[str] = None) -> None:
    """Store text as an artifact file.

    >>> mlflow.log_text("trained on 2021-01", "notes/data.txt")
    """
    client, target = _target(run_id)
    client.log_text(target, text, artifact_file)


def log_dict(dictionary: Any, artifact_file: str, run_id: Optional[str] = None) -> None:
    """Store a dict as JSON, or YAML for a .yaml/.yml ``artifact_file``.

    >>> mlflow.log_dict({"features": ["trip_distance"]}, "features.json")
    """
    client, target = _target(run_id)
    client.log_dict(target, dictionary, artifact_file)


def log_figure(
    figure: Any, artifact_file: str, *, save_kwargs: Optional[dict[str, Any]] = None, run_id: Optional[str] = None
) -> None:
    """Store a matplotlib or plotly figure (format from the extension).

    >>> fig, ax = plt.subplots(); ax.plot([3, 2, 1])
    >>> mlflow.log_figure(fig, "plots/loss.png")
    """
    client, target = _target(run_id)
    client.log_figure(target, figure, artifact_file, save_kwargs=save_kwargs)


def log_image(
    image: Any,
    artifact_file: Optional[str] = None,
    key: Optional[str] = None,
    step: Optional[int] = None,
    timestamp: Optional[int] = None,
    synchronous: Optional[bool] = None,
    run_id: Optional[str] = None,
) -> None:
    """Store a numpy array or PIL image: as ``artifact_file``, or time-stepped under ``key`` (MLflow 3's layout).

    >>> mlflow.log_image(np.zeros((32, 32, 3), dtype=np.uint8), "images/black.png")
    >>> for step in range(3): mlflow.log_image(predictions[step], key="predictions", step=step)
    """
    client, target = _target(run_id)
    client.log_image(target, image, artifact_file, key=key, step=step, timestamp=timestamp, synchronous=synchronous)


def get_artifact_uri(artifact_path: Optional[str] = None) -> str:
    """URI of the active run's artifact folder, or of ``artifact_path`` inside it.

    >>> mlflow.get_artifact_uri("model")
    '/work/mltrail-artifacts/1/<run_id>/artifacts/model'
    """
    from ..artifacts.base import normalize_artifact_path

    stack = _state.active_runs.get()
    active = stack[-1] if stack else start_run()
    root = active.info.artifact_uri
    path = normalize_artifact_path(artifact_path)
    return f"{root.rstrip('/')}/{path}" if path else root

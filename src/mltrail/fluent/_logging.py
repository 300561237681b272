"""Fluent logging: params, metrics, tags and artifacts of the active run.

Each call without an active run starts one (as MLflow does); it is ended
when the process exits. ``run_id=`` targets another run explicitly::

    mlflow.log_param("alpha", 0.01)
    mlflow.log_metric("rmse", 6.9, step=3)
    mlflow.log_dict({"features": ["a", "b"]}, "features.yaml")
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from ..client import Client
from ..client._values import make_metric, make_metrics, make_params, make_tags
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
) -> None:
    """Log a metric value to the active run, committed before returning.

    ``synchronous`` is accepted for MLflow compatibility (logging always is).
    ``model_id`` (or the model chosen with ``set_active_model``) links the
    value to that logged model too, with the ``dataset`` it was measured on.

    >>> mlflow.log_metric("rmse", 6.9)
    >>> for epoch in range(3): mlflow.log_metric("loss", 1 / (epoch + 1), step=epoch)
    """
    if model_id is not None or dataset is not None or _logged_models.links_metrics(run_id):
        client, target = _target(run_id)
        _logged_models.log_linked_metrics(client, target, [make_metric(key, value, timestamp, step)], model_id, dataset)
    elif run_id is None:
        stack = _state.active_runs.get()
        active = stack[-1] if stack else start_run()
        active._client._tracking_store.log_metric(active._run_id, make_metric(key, value, timestamp, step))
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
) -> None:
    """Log several metrics at one step, in one transaction (linked to a logged model as in :func:`log_metric`).

    >>> mlflow.log_metrics({"rmse": 6.9, "mae": 4.2}, step=1)
    """
    client, target = _target(run_id)
    if model_id is not None or dataset is not None or _logged_models.links_metrics(target):
        _logged_models.log_linked_metrics(client, target, make_metrics(metrics, step, timestamp), model_id, dataset)
    else:
        client.log_batch(target, metrics=make_metrics(metrics, step, timestamp))


def log_param(key: str, value: Any, synchronous: Optional[bool] = None) -> Any:
    """Log a parameter of the active run (stored as ``str(value)``); returns ``value``.

    >>> mlflow.log_param("alpha", 0.01)
    0.01
    """
    client, target = _target(None)
    client._tracking_store.log_param(target, Param(key, value if type(value) is str else str(value)))
    return value


def log_params(params: Mapping[str, Any], synchronous: Optional[bool] = None, run_id: Optional[str] = None) -> None:
    """Log several parameters in one transaction.

    >>> mlflow.log_params({"alpha": 0.01, "l1_ratio": 0.5})
    """
    client, target = _target(run_id)
    client.log_batch(target, params=make_params(params))


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


def set_tag(key: str, value: Any, synchronous: Optional[bool] = None) -> None:
    """Set a tag on the active run.

    >>> mlflow.set_tag("developer", "data-scientist")
    """
    client, target = _target(None)
    client._tracking_store.set_tag(target, RunTag(key, value if type(value) is str else str(value)))


def set_tags(tags: Mapping[str, Any], synchronous: Optional[bool] = None) -> None:
    """Set several tags on the active run in one transaction.

    >>> mlflow.set_tags({"developer": "ana", "stage": "dev"})
    """
    client, target = _target(None)
    client.log_batch(target, tags=make_tags(tags))


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
    """Store a numpy array or PIL image as an image file (PNG unless the extension says otherwise).

    >>> mlflow.log_image(np.zeros((32, 32, 3), dtype=np.uint8), "images/black.png")
    """
    client, target = _target(run_id)
    client.log_image(target, image, artifact_file, key=key, step=step, timestamp=timestamp)


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

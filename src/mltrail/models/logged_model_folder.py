"""``log_model`` in MLflow 3's layout: every logged model is a LoggedModel of its own.

:func:`log_model_folder` creates a PENDING :class:`~mltrail.entities.LoggedModel`
in the active run's experiment (or the current experiment when no run is
active: no run is started), saves the folder at
``<experiment artifact location>/models/<model_id>/artifacts``, records the
sha256 of its final ``MLmodel`` and marks the model READY (FAILED when
saving fails). A run that logged it is its ``source_run_id`` and lists it in
``run.outputs``; ``runs:/<run_id>/<name>`` still loads it.

The folder is built under ``<experiment artifact location>/.mltrail-tmp``
(outside every run's and model's listed artifacts) and renamed into place;
leftovers of a killed process older than a day are removed by the next log.

>>> info = log_model_folder("model", lambda local, **kw: save_model(est, local, **kw), model_log_target)
>>> info.model_uri
'models:/m-6c0f...'
"""

from __future__ import annotations

import contextvars
import os
import shutil
import tempfile
import time
import warnings
from typing import Any, Callable, Mapping, Optional, Protocol

from ..exceptions import InvalidParameterError
from .integrity import MLMODEL_FILE_NAME, file_digest
from .model import Model
from .model_info import ModelInfo

#: Folder (at the top of an experiment's artifact location) where models are built before the rename.
STAGING_DIR_NAME = ".mltrail-tmp"
#: Staging folders older than this (a killed log_model's) are removed by the next log_model.
STALE_STAGING_SECONDS = 24 * 3600

#: The logged model a save in progress belongs to: save_model_folder writes its id into MLmodel.
logging_model_id: contextvars.ContextVar[Optional[str]] = contextvars.ContextVar("mltrail_logging_model_id", default=None)


def model_name(name: Optional[str], artifact_path: Optional[str]) -> str:
    """The logged model's name from ``name`` or the deprecated ``artifact_path`` (default ``"model"``).

    >>> model_name(None, None), model_name("clf", None)
    ('model', 'clf')
    """
    if name is not None and artifact_path is not None and name != artifact_path:
        raise InvalidParameterError(
            f"log_model got name={name!r} and artifact_path={artifact_path!r}: artifact_path is the deprecated "
            "name of the same argument; give only name"
        )
    if name is None and artifact_path is not None:
        warnings.warn(
            "log_model's artifact_path is deprecated (as in MLflow 3): use name instead", FutureWarning, stacklevel=3
        )
    chosen = name if name is not None else artifact_path if artifact_path is not None else "model"
    if not isinstance(chosen, str) or not chosen.strip("/") or ".." in chosen.split("/"):
        raise InvalidParameterError(f"Invalid model name {chosen!r}: expected a non-empty name such as 'model'")
    return chosen.strip("/")


def _remove_stale(staging_root: str) -> None:
    cutoff = time.time() - STALE_STAGING_SECONDS
    try:
        entries = list(os.scandir(staging_root))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                shutil.rmtree(entry.path, ignore_errors=True)
        except OSError:
            pass


def staging_root_for(model_location: str) -> str:
    """``<experiment location>/.mltrail-tmp`` for a local ``<experiment location>/models/<id>/artifacts``."""
    experiment_location = os.path.dirname(os.path.dirname(os.path.dirname(model_location.rstrip(os.sep))))
    return os.path.join(experiment_location, STAGING_DIR_NAME)


def _save_local(save: Callable[..., Model], dest: str, run_id: Optional[str], location: str) -> tuple[Model, str]:
    root = staging_root_for(dest)
    os.makedirs(root, exist_ok=True)
    _remove_stale(root)
    # dest ends in <model_id>/artifacts and model ids are unique: the staging folder's name is free
    local = os.path.join(root, os.path.basename(os.path.dirname(dest.rstrip(os.sep))))
    try:
        model = save(local, run_id=run_id, artifact_path=location)  # MLmodel's artifact_path: MLflow 3 writes the location
        digest = file_digest(os.path.join(local, MLMODEL_FILE_NAME))[0]
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        os.rename(local, dest)
    except BaseException:
        shutil.rmtree(local, ignore_errors=True)
        raise
    return model, digest


def _save_remote(save: Callable[..., Model], location: str, run_id: Optional[str], _: str) -> tuple[Model, str]:
    from ..artifacts import get_artifact_repository

    with tempfile.TemporaryDirectory(prefix="mltrail-model-") as tmp:
        local = os.path.join(tmp, "artifacts")
        model = save(local, run_id=run_id, artifact_path=location)
        digest = file_digest(os.path.join(local, MLMODEL_FILE_NAME))[0]
        get_artifact_repository(location).log_artifacts(local)
    return model, digest


class LogTarget(Protocol):
    """Where a model is logged: the fluent layer's answer (:func:`mltrail.fluent.model_log_target`).

    The models layer knows no active run: a flavor's ``log_model`` hands
    :func:`log_model_folder` the fluent layer's resolver, which picks the given
    run, else the active run, else the current experiment with no run.

    >>> target = mltrail.fluent.model_log_target(None)
    >>> target.run_id, target.experiment_id
    ('6c0f...', '1')
    """

    #: the :class:`mltrail.client.Client` to log through
    client: Any
    #: the run the model is an output of, or None (no run)
    run_id: Optional[str]
    experiment_id: str

    def model_logged(self, model_id: str, step: int) -> None:
        """Called once the model is READY (the fluent layer remembers it as the last logged model)."""


def _register(model_uri: str, name: str) -> Any:
    """Register ``model_uri`` as a new version of ``name`` (created when new) in the registry."""
    from ..client import Client
    from ..client.registry_storage import register_version

    return register_version(Client(), name, model_uri, create_model=True)


def log_model_folder(
    name: str,
    save: Callable[..., Model],
    target_for: Callable[[Optional[str]], LogTarget],
    *,
    registered_model_name: Optional[str] = None,
    run_id: Optional[str] = None,
    params: Optional[Mapping[str, Any]] = None,
    tags: Optional[Mapping[str, Any]] = None,
    model_type: Optional[str] = None,
    step: int = 0,
    model_id: Optional[str] = None,
) -> ModelInfo:
    """Create a LoggedModel and save the model into it with ``save(local_path, run_id=..., artifact_path=...)``.

    ``target_for(run_id)`` says where it goes (:class:`LogTarget`; a flavor passes
    :func:`mltrail.fluent.model_log_target`); it is asked after the arguments are checked.

    ``artifact_path`` given to ``save`` is the model's artifact location, which MLflow 3 writes in MLmodel.

    ``model_id`` logs into an existing PENDING model (from
    ``initialize_logged_model``) instead of creating one. See the module
    docstring for the layout; example there.
    """
    from ..artifacts import artifact_uri_scheme
    from ..entities import LoggedModelStatus

    if registered_model_name is not None:  # a bad name is refused before anything is logged
        from ..store.registry_validation import validate_model_name

        validate_model_name(registered_model_name)
    if isinstance(step, bool) or not isinstance(step, int):
        raise InvalidParameterError(f"Invalid step {step!r}: expected a whole number")
    target = target_for(run_id)
    run_id, experiment_id = target.run_id, target.experiment_id
    store = target.client.tracking_store
    if run_id is not None and model_id is None:
        # MLflow 3: a model logged in a run carries the run's params (the explicit ones win)
        params = {**store.get_run_params(run_id), **(params or {})}
    if model_id is None:
        from .._system_tags import run_context_tags

        logged = store.create_logged_model(  # the run's outputs record it in the same transaction
            experiment_id, name=name, source_run_id=run_id, tags={**run_context_tags(), **(tags or {})},
            params=params, model_type=model_type, output_step=step if run_id is not None else None,
        )
    else:
        logged = store.get_logged_model(model_id)
        if params:
            store.log_logged_model_params(logged.model_id, params)
        if tags:
            store.set_logged_model_tags(logged.model_id, tags)
        if run_id is not None:
            from ..entities import LoggedModelOutput

            store.log_outputs(run_id, [LoggedModelOutput(logged.model_id, step)])
    location = logged.artifact_location
    token = logging_model_id.set(logged.model_id)
    try:
        if artifact_uri_scheme(location) == "file":
            from ..artifacts.local import local_path_from_uri

            model, digest = _save_local(save, local_path_from_uri(location), run_id, location)
        else:
            model, digest = _save_remote(save, location, run_id, location)
    except BaseException as exc:
        try:
            store.finalize_logged_model(
                logged.model_id, LoggedModelStatus.FAILED, status_message=f"saving the model failed: {exc!r}"[:1000]
            )
        except Exception:  # noqa: BLE001 - the saving error is the one to report
            pass
        raise
    finally:
        logging_model_id.reset(token)
    logged = store.finalize_logged_model(logged.model_id, LoggedModelStatus.READY, mlmodel_sha256=digest)
    target.model_logged(logged.model_id, step)
    info = ModelInfo.from_model(model, f"models:/{logged.model_id}", logged_model=logged)
    if registered_model_name is not None:
        version = _register(info.model_uri, registered_model_name)
        info.registered_model_version = getattr(version, "version", None)
    return info


__all__ = ["STAGING_DIR_NAME", "LogTarget", "log_model_folder", "logging_model_id", "model_name", "staging_root_for"]

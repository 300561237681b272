"""Registering a version: find the model folder a source URI names, copy it into the
registry's storage, and remove copies when versions are deleted.

The registry's storage is ``<artifact root>/models`` of the registry's
database; version ``v`` of model ``name`` lives in ``<storage>/<name>/<v>``
(a suffix is added only if a renamed model's version already holds that
path). A registration is two short transactions around the copy: the version
is created PENDING_REGISTRATION (taking the next number), the files are
copied, then it is marked READY; if the copy fails it is marked
FAILED_REGISTRATION with the reason, its partial copy removed, and the error
is raised. A registering process killed mid-copy leaves its version
PENDING_REGISTRATION: once that is older than
``MLTRAIL_PENDING_REGISTRATION_TIMEOUT`` seconds (default 600), the next
registration (or ``mltrail gc``) marks it FAILED_REGISTRATION and removes its
partial copy (:func:`expire_pending`).

A source is normalised first and may not climb out of a folder: a ``..``
segment (also percent-encoded) in any form of source is refused, and a
``runs:/`` path is checked against the run's artifact folder like every
other artifact path (symlinks included)::

    >>> checked_source("runs:/abc/./model/")
    'runs:/abc/model'

>>> register_version(client, "nyc-taxi", f"runs:/{run_id}/model").status
'READY'
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from typing import Any, Optional
from urllib.parse import unquote

from .._system_tags import current_user
from ..artifacts.repositories import artifact_uri_scheme, get_artifact_repository
from ..artifacts.base import normalize_artifact_path
from ..entities import ModelVersion, ModelVersionStatus
from ..env_numbers import NumberRule, env_number, require_number
from ..exceptions import (
    InvalidParameterError,
    InvalidStateError,
    MltrailError,
    ModelIntegrityError,
    ResourceAlreadyExistsError,
    ResourceNotFoundError,
)
from ..store.registry_base import RegistryStore
from .models_uri import MODEL_ID_PATTERN
from ..store.registry_validation import validate_model_name, validate_tags

MLMODEL = "MLmodel"
MODEL_VERSIONS_TAG = "mlflow.modelVersions"  # on a logged model: the registered versions made from it


def is_logged_model_uri(uri: str) -> bool:
    """Whether ``uri`` is ``models:/<model_id>`` (an MLflow 3 logged model), not ``models:/<name>/...``.

    >>> is_logged_model_uri("models:/m-6c0f2a9b1d3e4f5a6b7c8d9e0f1a2b3c"), is_logged_model_uri("models:/taxi/1")
    (True, False)
    """
    return uri.startswith("models:") and bool(MODEL_ID_PATTERN.fullmatch(uri[len("models:"):].strip("/")))
_NOT_A_MODEL_RULE = (
    "a registered version must be a model folder holding an MLmodel file "
    "(log one with mltrail.<flavor>.log_model or save_model)"
)


_RUN_ID = re.compile(r"[A-Za-z0-9_-]+")


def _invalid_source(source: str, rule: str) -> InvalidParameterError:
    return InvalidParameterError(f"Model version source {source!r} is invalid: {rule}")


def checked_source(source: str) -> str:
    """``source`` normalised (``runs:/<id>/<path>`` with a canonical path); raise naming it if it climbs out.

    A ``..`` segment, plain or percent-encoded (``%2e%2e``), is refused in
    every form of source: ``runs:/``, artifact URIs, ``file://`` and plain paths.

    >>> checked_source("runs:/5f3c/model//")
    'runs:/5f3c/model'
    """
    if "\x00" in source:
        raise _invalid_source(source, "it contains a NUL character")
    decoded = source
    for _ in range(3):  # %252e%252e decodes twice
        once = unquote(decoded)
        if once == decoded:
            break
        decoded = once
    if ".." in re.split(r"[/\\]", decoded):
        encoded = " (percent-encoded)" if ".." not in re.split(r"[/\\]", source) else ""
        raise _invalid_source(
            source, f"it contains a '..' segment{encoded}; a source must name the model folder itself, without '..'"
        )
    if not source.startswith("runs:"):
        return source
    run_id, _, path = source[len("runs:"):].lstrip("/").partition("/")
    if not run_id:
        raise _invalid_source(source, "it names no run (expected runs:/<run_id>/<artifact path>)")
    if not _RUN_ID.fullmatch(run_id):
        raise _invalid_source(source, f"run id {run_id!r} is not a run id (letters, digits, '-' and '_')")
    try:
        rel = normalize_artifact_path(path)
    except InvalidParameterError as e:
        raise _invalid_source(source, e.message) from None
    return f"runs:/{run_id}/{rel}" if rel else f"runs:/{run_id}"


PENDING_TIMEOUT_ENV = "MLTRAIL_PENDING_REGISTRATION_TIMEOUT"
DEFAULT_PENDING_TIMEOUT_SECONDS = 600.0
#: What the pending registration timeout accepts (from the environment or given in code).
PENDING_TIMEOUT_RULE = NumberRule("seconds", minimum=0)


def pending_timeout_seconds(value: Optional[float] = None) -> float:
    """``value`` when given, else ``MLTRAIL_PENDING_REGISTRATION_TIMEOUT``, else 600 s; must be >= 0.

    >>> pending_timeout_seconds(), pending_timeout_seconds(30)
    (600.0, 30.0)
    """
    if value is None:
        return env_number(PENDING_TIMEOUT_ENV, DEFAULT_PENDING_TIMEOUT_SECONDS, PENDING_TIMEOUT_RULE, strict=True)
    return float(require_number(value, PENDING_TIMEOUT_RULE, "pending registration timeout"))


def expire_pending(store: RegistryStore, timeout_seconds: Optional[float] = None) -> list[tuple[ModelVersion, str]]:
    """Fail versions PENDING_REGISTRATION longer than the timeout and remove their partial copies.

    Returns ``(version, removed location)`` pairs.

    >>> [(mv.name, mv.version) for mv, _ in expire_pending(client._registry_store, 0)]
    [('nyc-taxi', '3')]
    """
    timeout = pending_timeout_seconds(timeout_seconds)
    removed = []
    for mv in store.expire_pending_model_versions(int(timeout * 1000)):
        location = store.get_model_version_download_uri(mv.name, mv.version)
        remove_copy(store, location)
        removed.append((mv, location))
    return removed


def storage_root(store: RegistryStore) -> Optional[str]:
    """``<artifact root>/models`` for stores whose client copies files; None for remote stores."""
    root = getattr(store, "default_artifact_root", None)
    return f"{root.rstrip('/')}/models" if root else None


def local_source_path(uri: str) -> Optional[str]:
    """The absolute local path a model source or artifact location names (a plain path, ``~/x`` or a
    ``file://`` URI), or None for a model URI (``runs:/``, ``models:/``) or a remote one.

    >>> local_source_path("file:///srv/models/m"), local_source_path("runs:/5f3c/model")
    ('/srv/models/m', None)
    """
    if uri.startswith("file:"):
        from ..artifacts.local import local_path_from_uri

        return local_path_from_uri(uri)
    if "://" in uri or uri.startswith(("runs:", "models:")) or artifact_uri_scheme(uri) != "file":
        return None  # a model URI, or an artifact URI such as mlflow-artifacts:/0/<run_id>/artifacts/model
    return os.path.abspath(os.path.expanduser(uri))


class _Source:
    """The local folder of a model source (downloaded to a temp dir if remote)."""

    def __init__(self, client: Any, source: str) -> None:
        self.source = source
        self.run_id: Optional[str] = None
        self.temp: Optional[str] = None
        #: The logged model the source names (MLflow 3), recorded on the version.
        self.model_id: Optional[str] = None
        self.folder = self._locate(client)

    def _logged_model(self, client: Any, logged: Any) -> str:
        """The folder of a READY logged model, after checking its MLmodel against the recorded sha256."""
        from ..entities import LoggedModelStatus

        if logged.status != LoggedModelStatus.READY:
            raise InvalidParameterError(
                f"Cannot register {self.source!r}: logged model {logged.model_id} is {logged.status.value}; "
                "only READY models can be registered"
            )
        self.model_id = logged.model_id
        self.run_id = self.run_id or logged.source_run_id
        parent, _, name = logged.artifact_location.rstrip("/").rpartition("/")
        folder = self._fetch(parent, name)
        if logged.mlmodel_sha256 is not None and mlmodel_sha256(folder) != logged.mlmodel_sha256:
            raise ModelIntegrityError(
                f"Cannot register {self.source!r}: the MLmodel of logged model {logged.model_id} no longer matches "
                f"the sha256 recorded when it was logged (the folder {folder!r} was modified); register a folder "
                "path instead if the change was intended"
            )
        return folder

    def _locate(self, client: Any) -> str:
        source = self.source
        if source.startswith("models:"):
            model_id = source[len("models:"):].strip("/")
            if not MODEL_ID_PATTERN.fullmatch(model_id):
                raise InvalidParameterError(
                    f"Cannot register {source!r}: a models:/<name>/... URI names a version that is registered "
                    "already; register its source (models:/<model_id>, runs:/..., a path or an artifact URI) instead"
                )
            return self._logged_model(client, client.get_logged_model(model_id))  # type: ignore[attr-defined]
        if source.startswith("runs:"):
            run_id, _, path = checked_source(source)[len("runs:/"):].partition("/")
            self.run_id = run_id
            path = path.strip("/")
            logged = client.get_logged_model_of_run(run_id, path) if path else None  # type: ignore[attr-defined]
            if logged is not None:  # MLflow 3: the model the run logged under that name
                return self._logged_model(client, logged)
            artifact_uri = client.get_run(run_id).info.artifact_uri
            return self._fetch(artifact_uri, path)
        local = local_source_path(source)
        if local is not None:
            if not os.path.isdir(local):
                raise InvalidParameterError(
                    f"Cannot register {source!r}: no such folder; {_NOT_A_MODEL_RULE}"
                )
            return local
        parent, _, name = source.rstrip("/").rpartition("/")
        return self._fetch(parent, name)

    def _fetch(self, artifact_uri: str, path: str) -> str:
        """The local folder of ``path`` under ``artifact_uri``, downloading only remote ones."""
        repo = get_artifact_repository(artifact_uri)
        if artifact_uri_scheme(artifact_uri) == "file":
            try:  # the repository refuses a path (or symlink) leading out of its folder
                folder = repo.download_artifacts(path) if path else (local_source_path(artifact_uri) or artifact_uri)
            except ResourceNotFoundError:
                folder = os.path.join(local_source_path(artifact_uri) or artifact_uri, *path.split("/"))
            except InvalidParameterError as e:
                raise _invalid_source(self.source, e.message) from None
            if not os.path.isdir(folder):
                raise InvalidParameterError(
                    f"Cannot register {self.source!r}: no such folder {folder!r}; {_NOT_A_MODEL_RULE}"
                )
            return folder
        self.temp = tempfile.mkdtemp(prefix="mltrail-register-")
        try:
            return repo.download_artifacts(path, self.temp)
        except ResourceNotFoundError:
            raise InvalidParameterError(
                f"Cannot register {self.source!r}: nothing is stored there; {_NOT_A_MODEL_RULE}"
            ) from None

    def check_model(self) -> None:
        if not os.path.isfile(os.path.join(self.folder, MLMODEL)):
            raise InvalidParameterError(f"Cannot register {self.source!r}: it holds no MLmodel file; {_NOT_A_MODEL_RULE}")

    def mlmodel_run_id(self) -> Optional[str]:
        """The ``run_id`` recorded in the MLmodel file, if any."""
        import yaml

        try:
            with open(os.path.join(self.folder, MLMODEL), encoding="utf-8") as fh:
                data = yaml.safe_load(fh)
        except (OSError, yaml.YAMLError):
            return None
        run_id = data.get("run_id") if isinstance(data, dict) else None
        return str(run_id) if run_id else None

    def cleanup(self) -> None:
        if self.temp:
            shutil.rmtree(self.temp, ignore_errors=True)


def mlmodel_sha256(folder: str) -> Optional[str]:
    """The sha256 (hex) of ``folder``'s MLmodel file, or None when it has none (MLmodel is small: read whole).

    >>> mlmodel_sha256("/work/mltrail-artifacts/models/churn/1")
    '9f86d08...'
    """
    path = os.path.join(folder, MLMODEL)
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def _run_link(client: Any, run_id: str) -> Optional[str]:
    """The run's page in the UI: ``<server>/#/experiments/<id>/runs/<run_id>`` (path only when embedded)."""
    try:
        run = client.get_run(run_id)
    except MltrailError:
        return None
    tracking_uri = getattr(client, "_tracking_uri", "")
    base = tracking_uri.rstrip("/") if tracking_uri.startswith(("http://", "https://")) else ""
    return f"{base}/#/experiments/{run.info.experiment_id}/runs/{run_id}"


def register_version(
    client: Any,
    name: str,
    source: str,
    run_id: Optional[str] = None,
    tags: Optional[dict[str, Any]] = None,
    run_link: Optional[str] = None,
    description: Optional[str] = None,
    create_model: bool = False,
    recorded_source: Optional[str] = None,
    note_on_logged_model: bool = True,
) -> ModelVersion:
    """Create the next version of ``name`` from ``source`` (see the module docstring).

    With ``create_model`` a missing registered model is created, but only
    after the source proved to be a model folder, so a bad source changes nothing.
    ``recorded_source`` is stored as the version's source instead of ``source``
    (``copy_model_version`` records ``models:/<name>/<version>`` as MLflow does).
    ``note_on_logged_model``: add the version to its logged model's
    ``mlflow.modelVersions`` tag, as MLflow's client does (the server leaves it
    to its clients, so the stock client's own note is not doubled).
    """
    store = client._registry_store
    validate_model_name(name)
    checked_tags = validate_tags(tags)
    if not isinstance(source, str) or not source:
        raise InvalidParameterError(f"Model version source {source!r} is invalid: give a model URI or path")
    source = checked_source(source)
    root = storage_root(store)
    if root is None:  # a remote registry checks and copies on its side
        if create_model:
            _ensure_model(store, name)
        created = store.create_model_version(  # a copy is sent as its models:/ source, as MLflow's client does
            name, recorded_source or source, run_id, checked_tags, run_link, description, user_id=current_user()
        )
        if note_on_logged_model and created.model_id:
            _note_version_on_logged_model(client, created.model_id, name, created.version)
        return created
    if not create_model:
        store.get_registered_model(name)  # unknown model: fail before touching any files
    get_artifact_repository(root)  # an unsupported storage scheme fails before any record is made
    expire_pending(store)  # versions a killed registration left PENDING_REGISTRATION
    located = _Source(client, source)
    try:
        located.check_model()
        if create_model:
            _ensure_model(store, name)
        run_id = run_id or located.run_id or located.mlmodel_run_id()
        if run_id and run_link is None:
            run_link = _run_link(client, run_id)
        local = local_source_path(source)
        if recorded_source is None:
            # MLflow 3 records a logged model's versions with source models:/<model_id>
            recorded_source = f"models:/{located.model_id}" if located.model_id else local if local is not None else source
        version = store.create_model_version(
            name,
            recorded_source,
            run_id,
            checked_tags,
            run_link,
            description,
            user_id=current_user(),
            storage_root=root,
        )
        location = store.get_model_version_download_uri(name, version.version)
        try:
            get_artifact_repository(location).log_artifacts(located.folder)
        except Exception as exc:  # noqa: BLE001 - recorded on the version, then raised
            remove_copy(store, location)
            store.set_model_version_status(
                name, version.version, ModelVersionStatus.FAILED_REGISTRATION, f"copy to {location} failed: {exc}"
            )
            raise MltrailError(
                f"Registering {source!r} as version {version.version} of {name!r} failed while copying "
                f"the model to {location}: {exc}"
            ) from exc
        _record_origin(store, name, version.version, location, located.model_id)
        try:
            ready = store.set_model_version_status(name, version.version, ModelVersionStatus.READY)
        except InvalidStateError as exc:  # the copy outlived the pending timeout and was expired meanwhile
            remove_copy(store, location)
            raise MltrailError(
                f"Registering {source!r} as version {version.version} of {name!r} failed: {exc.message}; "
                f"raise {PENDING_TIMEOUT_ENV} above the time a copy takes"
            ) from exc
        if located.model_id and note_on_logged_model:
            _note_version_on_logged_model(client, located.model_id, name, ready.version)
        return ready
    finally:
        located.cleanup()


def _note_version_on_logged_model(client: Any, model_id: str, name: str, version: Any) -> None:
    """Add the version to the logged model's ``mlflow.modelVersions`` tag (a JSON list), as MLflow 3 does."""
    import json

    for attempt in range(3):  # registrations of one model at once race on the tag row: read again
        current = client.get_logged_model(model_id).tags.get(MODEL_VERSIONS_TAG)
        try:
            versions = json.loads(current) if current else []
        except ValueError:
            versions = []
        versions.append({"name": name, "version": int(version)})
        try:
            client.set_logged_model_tags(model_id, {MODEL_VERSIONS_TAG: json.dumps(versions)})
            return
        except Exception:  # noqa: BLE001 - the version itself is registered; the note is secondary
            if attempt == 2:
                import logging

                logging.getLogger("mltrail.registry").warning(
                    "Version %s of %r is registered, but noting it on logged model %s failed", version, name, model_id
                )


def _record_origin(store: RegistryStore, name: str, version: Any, location: str, model_id: Optional[str]) -> None:
    """Record the version's logged model and the sha256 of its copied MLmodel (checked by models:/ loads)."""
    digest = None
    if artifact_uri_scheme(location) == "file":
        folder = local_source_path(location) or location
        digest = mlmodel_sha256(folder) if os.path.isfile(os.path.join(folder, MLMODEL)) else None
    else:
        tmp = tempfile.mkdtemp(prefix="mltrail-register-")
        try:
            get_artifact_repository(location).download_artifacts(MLMODEL, tmp)
            digest = mlmodel_sha256(tmp)
        except (MltrailError, OSError):
            digest = None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    store.record_model_version_origin(name, version, model_id, digest)


def _ensure_model(store: RegistryStore, name: str) -> None:
    try:
        store.create_registered_model(name)
    except ResourceAlreadyExistsError:
        pass


def remove_copy(store: RegistryStore, location: str) -> None:
    """Delete a version's copy if it lies in the registry's storage (never a run's own artifacts)."""
    root = storage_root(store)
    if not root or not location.startswith(root.rstrip("/") + "/"):
        return
    try:
        if artifact_uri_scheme(location) == "file":
            shutil.rmtree(local_source_path(location) or location, ignore_errors=True)
        else:
            get_artifact_repository(location).delete_artifacts()
    except (OSError, NotImplementedError, MltrailError):
        pass  # the records are gone; a leftover copy is harmless and never reused

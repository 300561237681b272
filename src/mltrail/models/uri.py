"""Model URIs: where a model folder is, and how to get it onto local disk.

Accepted forms::

    runs:/<run_id>/<name>                 the model the run logged under that name (the newest
                                          such LoggedModel), else the run's artifact folder
    models:/<model_id>                    a logged model (MLflow 3: ``models:/m-<32 hex>``)
    models:/<name>/<version>              a registered model version
    models:/<name>/<stage>                latest version in a stage (Production, Staging, ...)
    models:/<name>/latest                 latest version
    models:/<name>@<alias>                the version an alias points at
    file:///abs/path, /abs/path, rel/path a folder on this machine

>>> local_dir = download_model("runs:/5f3c.../model")
>>> parse_models_uri("models:/churn@champion")
ModelsUri(name='churn', version=None, stage=None, alias='champion', model_id=None)

Where the store recorded the sha256 of the model's ``MLmodel`` (logged models
and registered versions), :func:`fetch_recorded_model` returns it with the
folder so the loader can refuse an edited ``MLmodel`` before reading it.

``models:/`` URIs are resolved by the model registry: :func:`resolve_model_uri`
asks the registry resolver for the source URI of the version (a ``runs:/`` URI
or an artifact location). The default resolver uses the client's registry
methods (MLflow's names: ``get_model_version_download_uri``,
``get_latest_versions``, ``get_model_version_by_alias``); a registry
implementation may install its own with :func:`set_registry_resolver`.
"""

from __future__ import annotations

import os
from typing import Callable, Optional
from urllib.parse import unquote, urlparse

from ..client.models_uri import ModelsUri, parse_models_uri
from ..exceptions import InvalidParameterError, MltrailError, ResourceNotFoundError


RegistryResolver = Callable[[ModelsUri], str]
_registry_resolver: Optional[RegistryResolver] = None


class RegistryUnavailableError(MltrailError):
    """A ``models:/`` URI was given but no model registry can resolve it."""


def set_registry_resolver(resolver: Optional[RegistryResolver]) -> None:
    """Install the function that turns a :class:`ModelsUri` into the version's source URI (None restores the default).

    >>> set_registry_resolver(lambda m: f"runs:/{lookup(m)}/model")
    """
    global _registry_resolver
    _registry_resolver = resolver


def parse_runs_uri(uri: str) -> tuple[str, str]:
    """``runs:/<run_id>/<path>`` -> ``(run_id, path)``; path may be empty.

    >>> parse_runs_uri("runs:/5f3c/model")
    ('5f3c', 'model')
    """
    rest = uri[len("runs:"):].lstrip("/")
    run_id, _, path = rest.partition("/")
    if not run_id:
        raise InvalidParameterError(f"Model URI {uri!r} names no run: expected runs:/<run_id>/<artifact path>")
    return run_id, path.strip("/")


def resolve_model_uri(uri: str) -> str:
    """Return where the model's files are: ``models:/`` URIs become their logged model's or version's
    location, ``runs:/<run>/<name>`` the run's logged model of that name; others unchanged.

    >>> resolve_model_uri("models:/churn/3")
    '/work/mltrail-artifacts/models/churn/3'
    """
    return resolve_recorded_model(uri)[0]


def _logged_model_record(model_id: str, uri: str) -> tuple[str, Optional[str]]:
    from ..client import Client
    from ..entities import LoggedModelStatus
    from ..exceptions import InvalidStateError

    model = Client().get_logged_model(model_id)
    if model.status != LoggedModelStatus.READY:
        raise InvalidStateError(
            f"Model URI {uri!r}: logged model {model_id} is {model.status.value}"
            f"{' (' + model.status_message + ')' if model.status_message else ''}; only READY models load"
        )
    return model.artifact_location, model.mlmodel_sha256


def _run_model_record(uri: str) -> Optional[tuple[str, Optional[str]]]:
    """``runs:/<run>/<name>[/<sub path>]`` -> the run's newest logged model of that name, or None."""
    from ..client import Client

    run_id, path = parse_runs_uri(uri)
    if not path:
        return None
    parts = path.split("/")
    client = Client()
    for cut in range(len(parts), 0, -1):  # the longest name first: models may be named "a/b"
        model = client.get_logged_model_of_run(run_id, "/".join(parts[:cut]))
        if model is not None:
            rest = "/".join(parts[cut:])
            if not rest:
                return model.artifact_location, model.mlmodel_sha256
            return f"{model.artifact_location.rstrip('/')}/{rest}", None
    return None


def resolve_recorded_model(uri: str) -> tuple[str, Optional[str]]:
    """``(location, recorded MLmodel sha256 or None)`` of the model at ``uri`` (see the module docstring).

    >>> resolve_recorded_model("models:/m-6c0f...")
    ('/work/mltrail-artifacts/1/models/m-6c0f.../artifacts', '9f86d08...')
    """
    uri = os.fspath(uri)
    if uri.startswith("runs:"):
        return _run_model_record(uri) or (uri, None)
    if not uri.startswith("models:"):
        return uri, None
    ref = parse_models_uri(uri)
    if ref.model_id is not None:
        return _logged_model_record(ref.model_id, uri)
    if _registry_resolver is not None:
        source, digest = _registry_resolver(ref), None
    else:
        from .registry_uri import resolve_registry_record

        source, digest = resolve_registry_record(ref)
    if not source:
        raise ResourceNotFoundError(f"The registry returned no source location for {uri!r}")
    if source.startswith(("models:", "runs:")):  # a custom resolver may answer with another model URI
        return resolve_recorded_model(source)
    return source, digest


def local_path_of(uri: str) -> Optional[str]:
    """The local path for ``file://`` URIs and plain paths; None for other schemes.

    >>> local_path_of("file:///data/model"), local_path_of("runs:/5f3c/model")
    ('/data/model', None)
    """
    if uri.startswith("file:"):
        parsed = urlparse(uri)
        return unquote(parsed.path)
    if "://" in uri or uri.startswith(("runs:", "models:")):
        return None
    return os.path.abspath(os.path.expanduser(uri))


def download_model(uri: str, dst_path: Optional[str] = None) -> str:
    """Return a local folder holding the model at ``uri`` (downloaded into ``dst_path`` when remote).

    A model already on this disk (a path, ``file://``, a run whose artifacts
    are local) is returned where it is, nothing is copied, unless
    ``dst_path`` is given.

    >>> download_model("runs:/5f3c.../model")
    '/work/mltrail-artifacts/1/5f3c.../artifacts/model'
    """
    return fetch_model(uri, dst_path)[0]


def fetch_model(uri: str, dst_path: Optional[str] = None) -> tuple[str, Optional[str]]:
    """Like :func:`download_model`, also returning the temporary folder it created (or None).

    The caller removes that temporary folder once it has read the model.
    """
    folder, temp, _ = fetch_recorded_model(uri, dst_path)
    return folder, temp


def fetch_recorded_model(uri: str, dst_path: Optional[str] = None) -> tuple[str, Optional[str], Optional[str]]:
    """``(local folder, temporary folder or None, recorded MLmodel sha256 or None)`` of the model at ``uri``.

    >>> folder, temp, digest = fetch_recorded_model("models:/m-6c0f...")
    """
    import tempfile

    original = os.fspath(uri)
    uri, digest = resolve_recorded_model(original)
    local = local_path_of(uri)
    if local is not None and dst_path is None:
        if not os.path.exists(local):
            raise ResourceNotFoundError(f"Model URI {original!r}: no such file or folder {local!r}")
        return local, None, digest
    from ..artifacts.repositories import artifact_uri_scheme, get_artifact_repository

    if uri.startswith("runs:"):
        run_id, path = parse_runs_uri(uri)
        from ..client import Client

        run = Client().get_run(run_id)  # raises ResourceNotFoundError naming the run
        repo = get_artifact_repository(run.info.artifact_uri)
        remote = artifact_uri_scheme(run.info.artifact_uri) != "file"
    else:
        parent, _, path = uri.rstrip("/").rpartition("/")
        repo = get_artifact_repository(parent)
        remote = local is None
    temp = tempfile.mkdtemp(prefix="mltrail-model-") if (remote and dst_path is None) else None
    try:
        folder = repo.download_artifacts(path, dst_path or temp)
    except ResourceNotFoundError as e:
        if temp:
            import shutil

            shutil.rmtree(temp, ignore_errors=True)
        raise ResourceNotFoundError(f"Model URI {original!r}: no model at {path!r} ({e.message})") from None
    return folder, temp, digest


__all__ = [
    "ModelsUri",
    "RegistryUnavailableError",
    "download_model",
    "fetch_model",
    "fetch_recorded_model",
    "local_path_of",
    "parse_models_uri",
    "parse_runs_uri",
    "resolve_model_uri",
    "resolve_recorded_model",
    "set_registry_resolver",
]

"""Model URIs: where a model folder is, and how to get it onto local disk.

Accepted forms::

    runs:/<run_id>/<artifact path>        a model logged to a run
    models:/<name>/<version>              a registered model version
    models:/<name>/<stage>                latest version in a stage (Production, Staging, ...)
    models:/<name>/latest                 latest version
    models:/<name>@<alias>                the version an alias points at
    file:///abs/path, /abs/path, rel/path a folder on this machine

>>> local_dir = download_model("runs:/5f3c.../model")
>>> parse_models_uri("models:/churn@champion")
ModelsUri(name='churn', version=None, stage=None, alias='champion')

``models:/`` URIs are resolved by the model registry: :func:`resolve_model_uri`
asks the registry resolver for the source URI of the version (a ``runs:/`` URI
or an artifact location). The default resolver uses the client's registry
methods (MLflow's names: ``get_model_version_download_uri``,
``get_latest_versions``, ``get_model_version_by_alias``); a registry
implementation may install its own with :func:`set_registry_resolver`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Optional
from urllib.parse import unquote, urlparse

from ..exceptions import InvalidParameterError, MltrailError, ResourceNotFoundError


@dataclass(frozen=True)
class ModelsUri:
    """A parsed ``models:/`` URI: at most one of version, stage and alias is set (none = latest).

    >>> ModelsUri("churn", stage="Production")
    """

    name: str
    version: Optional[str] = None
    stage: Optional[str] = None
    alias: Optional[str] = None


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


def parse_models_uri(uri: str) -> ModelsUri:
    """Parse ``models:/<name>/<version|stage|latest>`` or ``models:/<name>@<alias>``.

    >>> parse_models_uri("models:/churn/3")
    ModelsUri(name='churn', version='3', stage=None, alias=None)
    """
    rest = uri[len("models:"):].lstrip("/")
    rule = "expected models:/<name>/<version>, models:/<name>/<stage>, models:/<name>/latest or models:/<name>@<alias>"
    if "@" in rest and "/" not in rest.split("@", 1)[1]:
        name, alias = rest.rsplit("@", 1)
        if not name or not alias:
            raise InvalidParameterError(f"Model URI {uri!r} is malformed: {rule}")
        return ModelsUri(name=name, alias=alias)
    name, sep, suffix = rest.rpartition("/")
    if not sep or not name or not suffix:
        raise InvalidParameterError(f"Model URI {uri!r} is malformed: {rule}")
    if suffix.isdigit():
        return ModelsUri(name=name, version=suffix)
    if suffix.lower() == "latest":
        return ModelsUri(name=name)
    return ModelsUri(name=name, stage=suffix)


def _default_registry_resolver(ref: ModelsUri) -> str:
    """The registry's resolver (:mod:`mltrail.models.registry_uri`)."""
    from .registry_uri import resolve_registry_uri

    return resolve_registry_uri(ref)


def resolve_model_uri(uri: str) -> str:
    """Return where the model's files are: ``models:/`` URIs become their version's source; others unchanged.

    >>> resolve_model_uri("models:/churn/3")
    'runs:/5f3c.../model'
    """
    uri = os.fspath(uri)
    if not uri.startswith("models:"):
        return uri
    ref = parse_models_uri(uri)
    resolver = _registry_resolver or _default_registry_resolver
    source = resolver(ref)
    if not source:
        raise ResourceNotFoundError(f"The registry returned no source location for {uri!r}")
    return source


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
    import tempfile

    original = os.fspath(uri)
    uri = resolve_model_uri(original)
    local = local_path_of(uri)
    if local is not None and dst_path is None:
        if not os.path.exists(local):
            raise ResourceNotFoundError(f"Model URI {original!r}: no such file or folder {local!r}")
        return local, None
    from ..artifacts import artifact_uri_scheme, get_artifact_repository

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
    return folder, temp


__all__ = [
    "ModelsUri",
    "RegistryUnavailableError",
    "download_model",
    "fetch_model",
    "local_path_of",
    "parse_models_uri",
    "parse_runs_uri",
    "resolve_model_uri",
    "set_registry_resolver",
]

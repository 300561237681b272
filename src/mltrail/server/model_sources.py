"""Which model-version sources the server registers from.

Registering copies the source into the registry's storage, and anyone who can
read the registry can download that copy: a source the caller could name freely
would let them read any file of the server's host (``/etc``, ``~/.ssh``), or
make the server fetch from any host it can reach. So ``model-versions/create``
accepts

- a local path (``/srv/x``, ``file:///srv/x``, ``~/x``) only inside the local
  artifact folder of the run named by ``run_id`` (or of the logged model named
  by ``model_id``), symlinks resolved: MLflow 3.17's rule and message;
- no ``http(s)://`` source, and an ``mlflow-artifacts:`` source only when the
  server serves artifacts itself (it then reads them from its own destination,
  whatever host the URI names): either would otherwise make the server connect
  to the host named in the URI (MLflow refuses such sources too, unless told
  otherwise);
- ``runs:/``, ``models:/`` and object-store URIs as they are: they are resolved
  through the stores, and checked by the auth layer when it is on.

A ``..`` segment in any form of source is refused before this, by
:func:`mltrail.client.registry_storage.checked_source`. The embedded client
registers from the user's own files and does not apply these rules; only a
server, which registers on behalf of remote callers, does.

>>> check_model_version_source(client, "/etc", run_id=None, model_id=None, serves_artifacts=True)  # raises
"""

from __future__ import annotations

import os
from typing import Any, Optional

from ..artifacts import artifact_uri_scheme
from ..client.registry_storage import local_source_path
from ..exceptions import InvalidParameterError, ResourceNotFoundError


def _local_source(source: str) -> Optional[str]:
    """The resolved local path ``source`` names, or None for a URI that is not a local path."""
    path = local_source_path(source)
    return None if path is None else os.path.realpath(path)


def _owner_location(client: Any, source: str, run_id: Optional[str], model_id: Optional[str],
                    id_name: str) -> Optional[str]:
    """The artifact location of the logged model ``model_id``, else of the run ``run_id`` (None if neither
    is given; an unknown one is refused naming the source)."""
    try:
        if model_id:
            return client.get_logged_model(model_id).artifact_location
        if run_id:
            return client.get_run(run_id).info.artifact_uri
    except ResourceNotFoundError:
        raise _unidentified(source, id_name) from None
    return None


def _unidentified(source: str, id_name: str) -> InvalidParameterError:
    return InvalidParameterError(
        f"Invalid model version source: '{source}'. The {id_name} request parameter must identify the "
        "resource that contains the source."
    )


def check_model_version_source(client: Any, source: str, run_id: Optional[str], model_id: Optional[str],
                               serves_artifacts: bool) -> None:
    """Refuse (``INVALID_PARAMETER_VALUE``) a source the server must not copy; see the module docstring.

    >>> check_model_version_source(client, "runs:/5f3c/model", None, None, serves_artifacts=True)  # accepted
    """
    scheme = artifact_uri_scheme(source)
    if scheme in ("http", "https") or (scheme in ("mlflow-artifacts", "mltrail-artifacts") and not serves_artifacts):
        raise InvalidParameterError(
            f"Invalid model version source: '{source}'. The server does not fetch model versions from other "
            f"hosts: a {scheme}: source would make it connect to the host named in the URI. Register from the "
            "runs:/ or models:/ URI of the logged model instead."
        )
    local = _local_source(source)
    if local is None:
        return
    id_name = "model_id" if model_id else "run_id"
    root = _owner_location(client, source, run_id, model_id, id_name)
    root_path = _local_source(root) if root else None
    if root_path is not None and (local == root_path or local.startswith(root_path.rstrip(os.sep) + os.sep)):
        return
    kind = "logged model specified by the model_id" if model_id else "run specified by the run_id"
    raise InvalidParameterError(
        f"Invalid model version source: '{source}'. To use a local path as a model version source, the "
        f"{id_name} request parameter has to be specified and the local path has to be contained within "
        f"the artifact directory of the {kind}."
    )

"""Changing a saved or logged model's metadata: signature, requirements (MLflow's helpers).

Each edit rewrites the affected files and MLmodel's ``files`` hashes
together, so the folder still passes its integrity check::

    >>> set_signature(f"runs:/{run_id}/model", infer_signature(X, y))
    >>> update_model_requirements("out/model", "add", ["boto3==1.34"])
    >>> infer_pip_requirements("out/model", "sklearn")
    ['mltrail==0.1.0', 'cloudpickle==3.1.2', 'numpy==2.4.6', 'scikit-learn==1.9.1']
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

from ..exceptions import InvalidParameterError
from .environment import CONDA_ENV_FILE, REQUIREMENTS_FILE, Requirements, requirement_name, write_environment_files
from .integrity import MLMODEL_FILE_NAME, hash_folder
from .model import Model
from .signature import ModelSignature


def _logged_model_behind(model_uri: str) -> Any:
    """The MLflow 3 logged model ``models:/<model_id>`` or ``runs:/<run_id>/<name>`` names, else None."""
    from ..client import Client
    from ..client.registry_storage import is_logged_model_uri
    from .uri import parse_runs_uri

    uri = str(model_uri)
    if is_logged_model_uri(uri):
        return Client().get_logged_model(uri[len("models:"):].strip("/"))
    if uri.startswith("runs:"):
        run_id, path = parse_runs_uri(uri)
        return Client().get_logged_model_of_run(run_id, path.strip("/")) if path else None
    return None


@contextmanager
def _editable(model_uri: str) -> Iterator[tuple[str, Model]]:
    """The model's folder and Model; after the edit a remote folder is uploaded back, and a logged
    model's recorded MLmodel sha256 is updated (so loading it by URI still verifies)."""
    from .uri import fetch_model, parse_runs_uri, resolve_model_uri

    logged = _logged_model_behind(model_uri)
    folder, temp = fetch_model(model_uri)
    try:
        yield folder, Model.load(folder)
        if temp is not None:
            from ..artifacts import get_artifact_repository
            from ..client import Client

            if logged is not None:
                get_artifact_repository(logged.artifact_location).log_artifacts(folder)
            else:
                source = resolve_model_uri(model_uri)
                if not source.startswith("runs:"):
                    raise InvalidParameterError(
                        f"Cannot edit the model at {model_uri!r}: only local folders, runs:/ and models:/<model_id> "
                        "URIs can be rewritten"
                    )
                run_id, path = parse_runs_uri(source)
                Client().log_artifacts(run_id, folder, path)
        if logged is not None:
            from ..client import Client
            from ..entities import LoggedModelStatus
            from .integrity import sha256_of_file

            Client().tracking_store.finalize_logged_model(
                logged.model_id, LoggedModelStatus.READY,
                mlmodel_sha256=sha256_of_file(os.path.join(folder, MLMODEL_FILE_NAME)),
            )
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


def _rewrite(folder: str, model: Model) -> None:
    if model.files is not None:  # keep the integrity record in step with the edited files
        model.files = hash_folder(folder)
        model.model_size_bytes = sum(int(f["size"]) for f in model.files.values())  # type: ignore[arg-type]
    model.save(os.path.join(folder, MLMODEL_FILE_NAME))


def set_signature(model_uri: str, signature: ModelSignature) -> None:
    """Replace the signature of the model at ``model_uri`` (a path, ``file://`` or ``runs:/`` URI).

    >>> set_signature("out/model", ModelSignature(Schema([ColSpec("double", "x")])))
    """
    if not isinstance(signature, ModelSignature):
        raise InvalidParameterError(f"signature={signature!r}: expected a ModelSignature (see infer_signature)")
    from ..client.registry_storage import is_logged_model_uri

    if str(model_uri).startswith("models:") and not is_logged_model_uri(str(model_uri)):
        raise InvalidParameterError(
            f"Cannot set the signature of {model_uri!r}: a registered version's model is immutable, "
            "set it on the logged model (models:/<model_id> or runs:/...) and register that again"
        )
    with _editable(model_uri) as (folder, model):
        model.signature = signature
        _rewrite(folder, model)


def update_model_requirements(model_uri: str, operation: str, requirement_list: Sequence[str]) -> None:
    """``operation="add"`` (replacing same-name entries) or ``"remove"`` requirements of a saved model.

    requirements.txt and conda.yaml are rewritten together.

    >>> update_model_requirements("out/model", "remove", ["boto3"])
    """
    if operation not in ("add", "remove"):
        raise InvalidParameterError(f"operation={operation!r}: expected 'add' or 'remove'")
    if isinstance(requirement_list, str) or not all(isinstance(r, str) and r.strip() for r in requirement_list):
        raise InvalidParameterError(f"requirement_list={requirement_list!r}: expected a list of requirement strings")
    with _editable(model_uri) as (folder, model):
        path = os.path.join(folder, REQUIREMENTS_FILE)
        with open(path, encoding="utf-8") as f:
            lines = [ln.strip() for ln in f if ln.strip() and not ln.startswith("#")]
        names = {requirement_name(r) for r in requirement_list}
        if operation == "remove":
            missing = sorted(names - {requirement_name(r) for r in lines})
            if missing:
                raise InvalidParameterError(f"Cannot remove {missing}: the model's requirements do not list them")
        kept = [r for r in lines if requirement_name(r) not in names]
        new = kept + [r.strip() for r in requirement_list] if operation == "add" else kept
        pip = tuple(r for r in new if not r.startswith("-c "))
        constraints: tuple[str, ...] = ()
        constraints_file = os.path.join(folder, "constraints.txt")
        if os.path.isfile(constraints_file):
            with open(constraints_file, encoding="utf-8") as f:
                constraints = tuple(ln.strip() for ln in f if ln.strip())
        conda_env = _existing_conda_env(folder)
        write_environment_files(folder, Requirements(pip, constraints=constraints, conda_env=conda_env))
        _rewrite(folder, model)


def _existing_conda_env(folder: str) -> Any:
    import yaml

    path = os.path.join(folder, CONDA_ENV_FILE)
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        env = yaml.safe_load(f)
    return env if isinstance(env, dict) else None


def infer_pip_requirements(model_uri: str, flavor: str, fallback: Any = None) -> list[str]:
    """The pinned requirements of the model at ``model_uri``, inferred from what its files reference.

    Pickle files are walked without being loaded (no subprocess, unlike
    MLflow); ``fallback`` is returned when nothing can be read.

    >>> infer_pip_requirements("out/model", "sklearn")
    """
    from .environment import infer_requirements, modules_referenced_by_pickle
    from .loading import open_model

    try:
        with open_model(model_uri, flavor, verify=False) as (folder, _model, _conf):
            modules: set[str] = set()
            for rel in hash_folder(folder):
                if rel.endswith((".pkl", ".pickle")):
                    with open(os.path.join(folder, rel), "rb") as f:
                        modules |= modules_referenced_by_pickle(f.read())
    except Exception:  # noqa: BLE001 - MLflow's contract: fall back instead of raising
        if fallback is not None:
            return list(fallback)
        raise
    return infer_requirements(modules, ("mltrail",))


__all__ = ["infer_pip_requirements", "set_signature", "update_model_requirements"]

"""What every flavor's save_model / log_model shares.

A flavor only writes its model file(s) and says what it wrote (a
:class:`SavedData`); :func:`save_model_folder` does the rest in one place:
input example, signature, environment files, MLmodel with the hash of every
file. The folder is built in a temporary directory beside the destination and
renamed into place at the end, so an error leaves nothing half-written.
:func:`log_model_folder` builds it directly in the run's local artifact
folder (same rename) or, for a remote artifact store, in a temporary folder
that it then uploads::

    def save_model(sk_model, path, **kw):
        return save_model_folder(path, FLAVOR, lambda d: _write(sk_model, d), **kw)
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence, Union

from ..exceptions import InvalidParameterError, MltrailError, ResourceAlreadyExistsError
from .code_paths import check_code_paths, copy_code
from .environment import python_version, resolve_requirements, write_environment_files
from .integrity import hash_folder
from .model import Model
from .model_info import ModelInfo
from .signature import ModelSignature

Requirements = Union[None, str, Sequence[str]]


@dataclass
class SavedData:
    """What a flavor wrote into the model folder.

    ``flavor_conf``: the framework flavor's MLmodel entry; ``pyfunc_conf``:
    extra python_function entries (``model_path``...); ``modules``: top-level
    modules the serialized model references; ``requirements``: distributions
    always needed (the framework, the serializer).
    """

    flavor_conf: dict[str, Any]
    pyfunc_conf: dict[str, Any] = field(default_factory=dict)
    modules: set[str] = field(default_factory=set)
    requirements: tuple[str, ...] = ()


@dataclass(frozen=True)
class Flavor:
    """A flavor's identity: its MLmodel key and the module pyfunc loads it with."""

    name: str
    loader_module: str


def _check_destination(path: str) -> None:
    if os.path.exists(path) and (not os.path.isdir(path) or os.listdir(path)):
        raise ResourceAlreadyExistsError(
            f"Cannot save a model to {path!r}: the path exists and is not an empty folder"
        )


def _check_requirement_args(
    pip_requirements: Requirements, extra_pip_requirements: Requirements, conda_env: Any = None
) -> None:
    given = [n for n, v in (("conda_env", conda_env), ("pip_requirements", pip_requirements),
                            ("extra_pip_requirements", extra_pip_requirements)) if v is not None]
    if len(given) > 1:
        raise InvalidParameterError(
            f"{' and '.join(given)} cannot both be given: pip_requirements replaces the inferred "
            "requirements, extra_pip_requirements extends them, conda_env replaces the whole environment"
        )


def _copy_extra_files(extra_files: Sequence[str], folder: str) -> list[dict[str, str]]:
    """Put each extra file into ``folder/extra_files/``; return MLmodel's ``[{"path": "extra_files/<name>"}]``."""
    from .uri import fetch_model, local_path_of

    dest_dir = os.path.join(folder, "extra_files")
    os.makedirs(dest_dir, exist_ok=True)
    listed = []
    for item in extra_files:
        uri = os.fspath(item)
        local = local_path_of(uri)
        name = os.path.basename(uri.rstrip("/"))
        if local is not None:
            if not os.path.isfile(local):
                raise InvalidParameterError(f"extra_files: {uri!r} is not a file on this machine")
            shutil.copyfile(local, os.path.join(dest_dir, name))
        else:
            try:
                fetch_model(uri, dest_dir)
            except MltrailError as e:
                raise InvalidParameterError(f"extra_files: cannot download {uri!r}: {e.message}") from None
        listed.append({"path": f"extra_files/{name}"})
    return listed


def signature_for(
    signature: Union[ModelSignature, bool, None],
    input_example: Any,
    predict: Optional[Callable[[Any], Any]],
) -> Optional[ModelSignature]:
    """The signature to save: ``signature`` itself, or one inferred from the example (and ``predict`` on it).

    >>> signature_for(None, X[:5], model.predict).inputs.input_names()
    ['a', 'b']
    """
    if signature is False:
        return None
    if isinstance(signature, ModelSignature):
        return signature
    if signature not in (None, True):
        raise InvalidParameterError(
            f"signature={signature!r}: expected a ModelSignature (see mltrail.models.infer_signature), None or False"
        )
    if input_example is None:
        return None
    from .input_example import example_to_dataframe_or_array
    from .signature import infer_signature

    example = example_to_dataframe_or_array(input_example)
    output = None
    if predict is not None:
        try:
            output = predict(example)
        except Exception:  # the model may not accept the example; keep the input schema
            output = None
    try:
        return infer_signature(example, output)
    except InvalidParameterError:
        pass
    try:
        return infer_signature(example) if output is not None else None
    except InvalidParameterError as e:
        import logging

        logging.getLogger("mltrail.models").warning("No signature saved: %s", e.message)
        return None


def save_model_folder(
    path: Union[str, "os.PathLike[str]"],
    flavor: Flavor,
    write: Callable[[str], SavedData],
    *,
    signature: Union[ModelSignature, bool, None] = None,
    input_example: Any = None,
    pip_requirements: Requirements = None,
    extra_pip_requirements: Requirements = None,
    metadata: Optional[dict[str, Any]] = None,
    predict: Optional[Callable[[Any], Any]] = None,
    run_id: Optional[str] = None,
    artifact_path: Optional[str] = None,
    mlmodel: Optional[Model] = None,
    code_paths: Optional[Sequence[str]] = None,
    conda_env: Any = None,
    extra_files: Optional[Sequence[str]] = None,
) -> Model:
    """Build a complete model folder at ``path`` atomically and return its :class:`Model`.

    ``write(tmp_dir)`` writes the flavor's model file(s) and returns a
    :class:`SavedData`. ``predict`` (optional) infers the output schema from
    the input example when no signature is given. ``code_paths`` are copied
    into ``code/`` (see :mod:`mltrail.models.code_paths`). ``conda_env`` (a
    dict or YAML path) is written as ``conda.yaml`` with its pip entries in
    ``requirements.txt``, as MLflow does. ``extra_files`` (local paths or
    artifact URIs) are copied into ``extra_files/`` and listed in the flavor's
    MLmodel entry. Example in the module docstring.
    """
    if extra_files is not None and not isinstance(extra_files, (list, tuple)):
        raise InvalidParameterError(f"extra_files={extra_files!r}: expected a list of local paths or artifact URIs")
    path = os.path.abspath(os.fspath(path))
    _check_destination(path)
    _check_requirement_args(pip_requirements, extra_pip_requirements, conda_env)
    code = check_code_paths(code_paths)
    if metadata is not None and not isinstance(metadata, dict):
        raise InvalidParameterError(f"metadata={metadata!r}: expected a dict of JSON-compatible values")
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".mltrail-save-", dir=parent)
    try:
        data = write(tmp)
        data.flavor_conf["code"] = copy_code(code, tmp)
        if extra_files:
            data.flavor_conf["extra_files"] = _copy_extra_files(extra_files, tmp)
        model = mlmodel or Model()
        model.run_id = run_id
        model.artifact_path = artifact_path
        model.metadata = metadata
        if input_example is not None:
            from .input_example import save_input_example

            model.saved_input_example_info = save_input_example(tmp, input_example, serving_input=True)
        model.signature = signature_for(signature, input_example, predict)
        # mltrail itself is a requirement: the python_function flavor's loader
        # module is one of its integrations (MLflow lists mlflow likewise).
        requirements = resolve_requirements(
            data.modules, ("mltrail", *data.requirements), pip_requirements, extra_pip_requirements, conda_env
        )
        env = write_environment_files(tmp, requirements)
        pyfunc_conf = dict(data.pyfunc_conf)
        if data.flavor_conf["code"]:
            pyfunc_conf["code"] = data.flavor_conf["code"]
        if flavor.name == "python_function":  # a pure pyfunc model: one flavor entry
            pyfunc_conf.update(data.flavor_conf)
        model.add_flavor(
            "python_function",
            loader_module=flavor.loader_module,
            python_version=python_version(),
            env=env,
            **pyfunc_conf,
        )
        if flavor.name != "python_function":
            model.add_flavor(flavor.name, **data.flavor_conf)
        model.files = hash_folder(tmp)
        model.model_size_bytes = sum(int(f["size"]) for f in model.files.values())  # type: ignore[arg-type]
        model.save(os.path.join(tmp, "MLmodel"))
        if os.path.isdir(path):
            os.rmdir(path)  # empty (checked above)
        try:
            os.rename(tmp, path)
        except OSError:
            if os.path.exists(path):  # another process saved there meanwhile
                raise ResourceAlreadyExistsError(
                    f"Cannot save a model to {path!r}: another model was saved there at the same time"
                ) from None
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return model


def _register(model_uri: str, name: str) -> Any:
    """Register ``model_uri`` as a new version of ``name`` through the registry (fluent ``register_model``)."""
    try:
        from ..fluent import register_model  # type: ignore[attr-defined]
    except ImportError as e:
        from .uri import RegistryUnavailableError

        raise RegistryUnavailableError(
            f"Cannot register the model as {name!r}: the model registry is not available in this installation ({e})"
        ) from None
    return register_model(model_uri, name)


def _target_run(run_id: Optional[str]) -> tuple[str, str]:
    """``(run_id, artifact_uri)``: the given run, else the active run (started when none is, like MLflow)."""
    from .. import fluent

    if run_id is not None:
        active = fluent.active_run()
        if active is not None and active.info.run_id == run_id:  # known already: no store read
            return run_id, active.info.artifact_uri
        from ..client import Client

        run = Client().get_run(run_id)
        if run.info.lifecycle_stage == "deleted":
            from ..exceptions import InvalidStateError

            raise InvalidStateError(f"Cannot log a model to run {run_id!r}: the run is deleted")
        return run_id, run.info.artifact_uri
    run = fluent.active_run() or fluent.start_run()
    return run.info.run_id, run.info.artifact_uri


def log_model_folder(
    artifact_path: str,
    save: Callable[..., Model],
    *,
    registered_model_name: Optional[str] = None,
    run_id: Optional[str] = None,
) -> ModelInfo:
    """Save with ``save(local_path, run_id=..., artifact_path=...)`` and log the folder to the run.

    Uses the active run (starting one when none is active, like MLflow) unless
    ``run_id`` is given. When the run's artifacts are on this disk the folder
    is built beside its final place and renamed into it (no copy); otherwise
    it is built in a temporary folder and uploaded with ``log_artifacts``.
    Either way nothing is logged when saving fails, and an artifact path
    that already holds files is refused (mixing two models' files would make
    the folder fail its integrity check).

    >>> log_model_folder("model", lambda local, **kw: save_model(est, local, **kw))
    """
    if not isinstance(artifact_path, str) or not artifact_path.strip("/") or ".." in artifact_path.split("/"):
        raise InvalidParameterError(
            f"artifact_path={artifact_path!r}: expected a relative path inside the run's artifacts, such as 'model'"
        )
    artifact_path = artifact_path.strip("/")
    if registered_model_name is not None:  # a bad name is refused before anything is logged
        from ..store.registry_validation import validate_model_name

        validate_model_name(registered_model_name)
    run_id, artifact_uri = _target_run(run_id)
    taken = ResourceAlreadyExistsError(
        f"Run {run_id} already has artifacts at {artifact_path!r}: log the model under another artifact_path"
    )
    from ..artifacts import artifact_uri_scheme

    if artifact_uri_scheme(artifact_uri) == "file":
        from ..artifacts.local import local_path_from_uri

        dest = os.path.join(local_path_from_uri(artifact_uri), *artifact_path.split("/"))
        if os.path.exists(dest) and (not os.path.isdir(dest) or os.listdir(dest)):
            raise taken
        model = save(dest, run_id=run_id, artifact_path=artifact_path)
    else:
        from ..client import Client

        client = Client()
        if client.list_artifacts(run_id, artifact_path):
            raise taken
        with tempfile.TemporaryDirectory(prefix="mltrail-model-") as tmp:
            local = os.path.join(tmp, os.path.basename(artifact_path))
            model = save(local, run_id=run_id, artifact_path=artifact_path)
            client.log_artifacts(run_id, local, artifact_path)
    model_uri = f"runs:/{run_id}/{artifact_path}"
    info = ModelInfo.from_model(model, model_uri)
    if registered_model_name is not None:
        version = _register(model_uri, registered_model_name)
        info.registered_model_version = getattr(version, "version", None)
    return info


__all__ = ["Flavor", "SavedData", "log_model_folder", "save_model_folder", "signature_for"]

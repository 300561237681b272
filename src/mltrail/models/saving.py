"""What every flavor's save_model / log_model shares.

A flavor only writes its model file(s) and says what it wrote (a
:class:`SavedData`); :func:`save_model_folder` does the rest in one place:
input example, signature, environment files, MLmodel with the hash of every
file. The folder is built in a temporary directory beside the destination and
renamed into place at the end, so an error leaves nothing half-written.
:func:`log_model_folder` (:mod:`.logged_model_folder`) logs it as an MLflow 3
LoggedModel::

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
from .environment import check_requirement_args, python_version, resolve_requirements, write_environment_files
from .integrity import hash_folder
from .logged_model_folder import log_model_folder, logging_model_id, model_name
from .model import Model
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
    check_requirement_args(pip_requirements, extra_pip_requirements, conda_env)
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
        if logging_model_id.get() is not None:  # saved by log_model: MLmodel names its logged model
            model.model_uuid = model._extra["model_id"] = logging_model_id.get()  # both, as MLflow 3 writes
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


__all__ = ["Flavor", "SavedData", "log_model_folder", "model_name", "save_model_folder", "signature_for"]

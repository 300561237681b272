"""Custom pyfunc models: a ``PythonModel`` subclass with its own ``predict`` (``mltrail.pyfunc``).

    class AddN(mltrail.pyfunc.PythonModel):
        def __init__(self, n):
            self.n = n

        def load_context(self, context):
            self.table = pd.read_csv(context.artifacts["lookup"])

        def predict(self, context, model_input, params=None):
            return model_input + self.n

    >>> info = mltrail.pyfunc.log_model("model", python_model=AddN(3), artifacts={"lookup": "lookup.csv"})
    >>> mltrail.pyfunc.load_model(info.model_uri).predict(df)

The instance is saved with cloudpickle (requirements come from what it
references, as for every flavor); ``artifacts`` (name -> local file or
folder) are copied into the model folder and handed back as local paths in
``context.artifacts`` when the model loads.
"""

from __future__ import annotations

import inspect
import os
import shutil
from typing import Any, Optional, Sequence, Union

from ..exceptions import InvalidParameterError
from .model import Model
from .model_info import ModelInfo
from .saving import Flavor, SavedData, log_model_folder, model_name, save_model_folder
from .serialization import dump_pickle, load_pickle
from .signature import ModelSignature

_FLAVOR = Flavor("python_function", "mltrail.models.python_model")
_PICKLE = "python_model.pkl"
_ARTIFACTS_DIR = "artifacts"


class PythonModelContext:
    """What ``load_context`` and ``predict`` receive: ``artifacts`` maps names to local paths.

    >>> context.artifacts["lookup"]
    '/work/mltrail-artifacts/1/5f3c.../artifacts/model/artifacts/lookup.csv'
    """

    def __init__(self, artifacts: dict[str, str], model_config: Optional[dict[str, Any]] = None) -> None:
        self.artifacts = artifacts
        self.model_config = model_config or {}


class PythonModel:
    """Base class of custom models: override ``predict`` (and ``load_context`` to read artifacts).

    >>> class Doubler(PythonModel):
    ...     def predict(self, context, model_input, params=None):
    ...         return model_input * 2
    """

    def load_context(self, context: PythonModelContext) -> None:
        """Called once after loading, with the model's artifacts as local paths."""

    def predict(self, context: PythonModelContext, model_input: Any, params: Optional[dict[str, Any]] = None) -> Any:
        """Return predictions for ``model_input`` (a DataFrame when the signature has columns)."""
        raise NotImplementedError(f"{type(self).__name__} must implement predict(context, model_input, params=None)")


def _check_artifacts(artifacts: Optional[dict[str, str]]) -> dict[str, str]:
    if artifacts is None:
        return {}
    if not isinstance(artifacts, dict):
        raise InvalidParameterError(f"artifacts={artifacts!r}: expected a dict of name -> local file or folder")
    checked = {}
    for name, path in artifacts.items():
        if not isinstance(name, str) or not name or "/" in name or name in (".", ".."):
            raise InvalidParameterError(f"artifacts: {name!r} is not a valid artifact name (a plain non-empty name)")
        local = os.fspath(path)
        if local.startswith("file://"):
            local = local[len("file://"):]
        if not os.path.exists(local):
            raise InvalidParameterError(f"artifacts[{name!r}]: {os.fspath(path)!r} does not exist on this machine")
        checked[name] = os.path.abspath(local)
    return checked


def _writer(python_model: PythonModel, artifacts: dict[str, str], model_config: Optional[dict[str, Any]]):
    def write(folder: str) -> SavedData:
        modules = dump_pickle(python_model, os.path.join(folder, _PICKLE), "cloudpickle")
        recorded = {}
        for name, src in artifacts.items():
            rel = f"{_ARTIFACTS_DIR}/{name}/{os.path.basename(src.rstrip('/'))}"
            dest = os.path.join(folder, *rel.split("/"))
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            if os.path.isdir(src):
                shutil.copytree(src, dest)
            else:
                shutil.copyfile(src, dest)
            recorded[name] = {"path": rel}
        import cloudpickle

        conf: dict[str, Any] = {"python_model": _PICKLE, "cloudpickle_version": cloudpickle.__version__}
        if recorded:
            conf["artifacts"] = recorded
        if model_config:
            conf["model_config"] = model_config
        # mltrail is the framework here: PythonModel and its loader come from it.
        return SavedData(flavor_conf=conf, modules=modules, requirements=("cloudpickle", "mltrail"))

    return write


def save_model(
    path: Union[str, "os.PathLike[str]"],
    python_model: PythonModel,
    artifacts: Optional[dict[str, str]] = None,
    signature: Union[ModelSignature, bool, None] = None,
    input_example: Any = None,
    pip_requirements: Union[None, str, Sequence[str]] = None,
    extra_pip_requirements: Union[None, str, Sequence[str]] = None,
    metadata: Optional[dict[str, Any]] = None,
    code_paths: Optional[Sequence[str]] = None,
    model_config: Optional[dict[str, Any]] = None,
    *,
    run_id: Optional[str] = None,
    artifact_path: Optional[str] = None,
) -> Model:
    """Save a :class:`PythonModel` (and its ``artifacts``) as a model folder at ``path``.

    >>> mltrail.pyfunc.save_model("out/model", python_model=AddN(3))
    """
    if not isinstance(python_model, PythonModel):
        raise InvalidParameterError(
            f"python_model of type {type(python_model).__name__} is not a mltrail.pyfunc.PythonModel instance"
        )
    checked = _check_artifacts(artifacts)
    context = PythonModelContext(checked, model_config)

    def predict(example: Any) -> Any:
        python_model.load_context(context)
        return _call_predict(python_model, context, example, None)

    return save_model_folder(
        path,
        _FLAVOR,
        _writer(python_model, checked, model_config),
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
        predict=predict,
        run_id=run_id,
        artifact_path=artifact_path,
        code_paths=code_paths,
    )


def log_model(
    artifact_path: Optional[str] = None,
    python_model: Optional[PythonModel] = None,
    artifacts: Optional[dict[str, str]] = None,
    registered_model_name: Optional[str] = None,
    signature: Union[ModelSignature, bool, None] = None,
    input_example: Any = None,
    pip_requirements: Union[None, str, Sequence[str]] = None,
    extra_pip_requirements: Union[None, str, Sequence[str]] = None,
    metadata: Optional[dict[str, Any]] = None,
    code_paths: Optional[Sequence[str]] = None,
    model_config: Optional[dict[str, Any]] = None,
    *,
    name: Optional[str] = None,
    run_id: Optional[str] = None,
    params: Optional[dict[str, Any]] = None,
    tags: Optional[dict[str, Any]] = None,
    model_type: Optional[str] = None,
    step: int = 0,
    model_id: Optional[str] = None,
    **_ignored: Any,
) -> ModelInfo:
    """Log a :class:`PythonModel` as an MLflow 3 LoggedModel named ``name`` (linked to the active run, if any).

    ``artifact_path`` is the deprecated name of ``name``; the other MLflow 3
    arguments are those of ``mltrail.sklearn.log_model``.

    >>> info = mltrail.pyfunc.log_model(name="model", python_model=AddN(3), input_example=df[:3])
    """
    if python_model is None:
        raise InvalidParameterError("log_model needs python_model=<a mltrail.pyfunc.PythonModel instance>")
    if not isinstance(python_model, PythonModel):
        raise InvalidParameterError(
            f"python_model of type {type(python_model).__name__} is not a mltrail.pyfunc.PythonModel instance"
        )
    _check_artifacts(artifacts)

    def save(local: str, run_id: str, artifact_path: str) -> Model:
        return save_model(
            local, python_model, artifacts=artifacts, signature=signature, input_example=input_example,
            pip_requirements=pip_requirements, extra_pip_requirements=extra_pip_requirements,
            metadata=metadata, code_paths=code_paths, model_config=model_config,
            run_id=run_id, artifact_path=artifact_path,
        )

    return log_model_folder(
        model_name(name, artifact_path), save, registered_model_name=registered_model_name, run_id=run_id,
        params=params, tags=tags, model_type=model_type, step=step, model_id=model_id,
    )


def _call_predict(model: PythonModel, context: PythonModelContext, data: Any, params: Optional[dict[str, Any]]) -> Any:
    if "params" in inspect.signature(model.predict).parameters:
        return model.predict(context, data, params=params)
    return model.predict(context, data)


class _PythonModelPyfunc:
    def __init__(self, model: PythonModel, context: PythonModelContext) -> None:
        self.raw_model = model
        self._context = context

    def predict(self, data: Any, params: Optional[dict[str, Any]] = None) -> Any:
        return _call_predict(self.raw_model, self._context, data, params)


def _load_pyfunc(data_path: str) -> _PythonModelPyfunc:
    """pyfunc loader: ``data_path`` is the model folder."""
    folder = data_path if os.path.isdir(data_path) else os.path.dirname(data_path)
    conf = Model.load(folder).flavors.get("python_function") or {}
    model = load_pickle(os.path.join(folder, conf.get("python_model", _PICKLE)), "cloudpickle")
    if not isinstance(model, PythonModel):
        raise InvalidParameterError(f"{_PICKLE} in {folder!r} does not hold a PythonModel")
    artifacts = {
        name: os.path.join(folder, *entry["path"].split("/")) for name, entry in (conf.get("artifacts") or {}).items()
    }
    context = PythonModelContext(artifacts, conf.get("model_config"))
    model.load_context(context)
    return _PythonModelPyfunc(model, context)


__all__ = ["PythonModel", "PythonModelContext", "log_model", "save_model"]

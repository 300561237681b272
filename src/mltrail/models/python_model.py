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
from typing import Any, Callable, Optional, Sequence, Union

from ..exceptions import InvalidParameterError, MltrailError
from .integrity import resolve_model_path
from .model import Model
from .saving import Flavor, SavedData, save_model_folder
from .serialization import dump_pickle, load_pickle
from .signature import ModelSignature
from .type_hints import coerce_to_hint, input_element, signature_from_type_hints

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
    """Names checked; local paths made absolute (and checked to exist); URIs kept for download."""
    if artifacts is None:
        return {}
    if not isinstance(artifacts, dict):
        raise InvalidParameterError(f"artifacts={artifacts!r}: expected a dict of name -> artifact URI or local path")
    from .uri import local_path_of

    checked = {}
    for name, path in artifacts.items():
        if not isinstance(name, str) or not name or "/" in name or name in (".", ".."):
            raise InvalidParameterError(f"artifacts: {name!r} is not a valid artifact name (a plain non-empty name)")
        uri = os.fspath(path)
        local = local_path_of(uri)
        if local is None:  # runs:/, models:/, mlflow-artifacts:/, s3://...: downloaded when saving
            checked[name] = uri
            continue
        if not os.path.exists(local):
            raise InvalidParameterError(f"artifacts[{name!r}]: {uri!r} does not exist on this machine")
        checked[name] = os.path.abspath(local)
    return checked


def _fetch_artifact(name: str, uri: str, dest_dir: str) -> str:
    """Put the artifact at ``uri`` into ``dest_dir``; return its path there."""
    from .uri import fetch_model

    if os.path.isabs(uri) and os.path.exists(uri):  # checked local path: copy
        dest = os.path.join(dest_dir, os.path.basename(uri.rstrip("/")) or name)
        if os.path.isdir(uri):
            shutil.copytree(uri, dest)
        else:
            shutil.copyfile(uri, dest)
        return dest
    try:
        fetched = fetch_model(uri, dest_dir)[0]
    except MltrailError as e:
        raise InvalidParameterError(f"artifacts[{name!r}]: cannot download {uri!r}: {e.message}") from None
    # named after the URI's last segment (runs:/<id>/clf -> clf), not after where the store keeps it
    # (an MLflow 3 logged model lives in .../models/<model_id>/artifacts)
    wanted = os.path.join(dest_dir, uri.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1] or name)
    if os.path.dirname(os.path.abspath(fetched)) == os.path.abspath(dest_dir) and fetched != wanted \
            and not os.path.exists(wanted):
        os.rename(fetched, wanted)
        fetched = wanted
    return fetched


def _writer(
    python_model: PythonModel,
    artifacts: dict[str, str],
    model_config: Optional[dict[str, Any]],
):
    def write(folder: str) -> SavedData:
        modules = dump_pickle(python_model, os.path.join(folder, _PICKLE), "cloudpickle")
        recorded = {}
        for name, src in artifacts.items():
            dest_dir = os.path.join(folder, _ARTIFACTS_DIR, name)
            os.makedirs(dest_dir, exist_ok=True)
            dest = _fetch_artifact(name, src, dest_dir)
            recorded[name] = {"path": os.path.relpath(dest, folder).replace(os.sep, "/")}
        import cloudpickle

        conf: dict[str, Any] = {"python_model": _PICKLE, "cloudpickle_version": cloudpickle.__version__}
        if recorded:
            conf["artifacts"] = recorded
        if model_config:
            conf["model_config"] = model_config
        # mltrail is the framework here: PythonModel and its loader come from it.
        return SavedData(flavor_conf=conf, modules=modules, requirements=("cloudpickle", "mltrail"))

    return write


class _FunctionModel(PythonModel):
    """A plain function given as ``python_model`` (MLflow 3 accepts one): ``predict`` calls it."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func

    def predict(self, context: PythonModelContext, model_input: Any, params: Optional[dict[str, Any]] = None) -> Any:
        if params is not None and "params" in _parameters(self.func):
            return self.func(model_input, params=params)
        return self.func(model_input)


def _parameters(func: Callable[..., Any]) -> Any:
    try:
        return inspect.signature(func).parameters
    except (TypeError, ValueError):
        return {}


def _as_python_model(python_model: Any) -> PythonModel:
    if isinstance(python_model, PythonModel):
        return python_model
    if callable(python_model) and not isinstance(python_model, type):
        return _FunctionModel(python_model)
    raise InvalidParameterError(
        f"python_model of type {type(python_model).__name__} is not a mltrail.pyfunc.PythonModel instance "
        "or a function taking the model input"
    )


def _hinted(python_model: PythonModel) -> Callable[..., Any]:
    return python_model.func if isinstance(python_model, _FunctionModel) else python_model.predict


def save_model(
    path: Union[str, "os.PathLike[str]"],
    python_model: Union[PythonModel, Callable[..., Any], None] = None,
    artifacts: Optional[dict[str, str]] = None,
    signature: Union[ModelSignature, bool, None] = None,
    input_example: Any = None,
    pip_requirements: Union[None, str, Sequence[str]] = None,
    extra_pip_requirements: Union[None, str, Sequence[str]] = None,
    metadata: Optional[dict[str, Any]] = None,
    code_paths: Optional[Sequence[str]] = None,
    model_config: Optional[dict[str, Any]] = None,
    conda_env: Any = None,
    mlflow_model: Optional[Model] = None,
    *,
    run_id: Optional[str] = None,
    artifact_path: Optional[str] = None,
) -> Model:
    """Save a :class:`PythonModel` (or a plain function) and its ``artifacts`` as a model folder at ``path``.

    ``artifacts`` maps names to local paths or URIs of any supported scheme
    (``runs:/``, ``models:/``, ``file://``, ``mlflow-artifacts:/``, ``s3://``),
    downloaded into the folder. A ``predict`` hinted ``list[str]`` (etc.)
    gives the signature when none is given (:mod:`mltrail.models.type_hints`).

    >>> mltrail.pyfunc.save_model("out/model", python_model=AddN(3))
    >>> mltrail.pyfunc.save_model("out/upper", python_model=lambda xs: [x.upper() for x in xs])
    """
    if python_model is None:
        raise InvalidParameterError("save_model needs python_model=<a mltrail.pyfunc.PythonModel instance or a function>")
    model = _as_python_model(python_model)
    checked = _check_artifacts(artifacts)
    hinted = signature_from_type_hints(_hinted(model)) if signature in (None, True) else None
    mlmodel = mlflow_model or Model()
    if hinted is not None:
        signature = hinted
        mlmodel._extra["is_signature_from_type_hint"] = True

    def predict(example: Any) -> Any:
        if not all(os.path.isabs(v) for v in checked.values()):
            return None  # artifacts still remote: the output schema is not inferred from the example
        context = PythonModelContext(checked, model_config)
        model.load_context(context)
        return _call_predict(model, context, example, None)

    return save_model_folder(
        path,
        _FLAVOR,
        _writer(model, checked, model_config),
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
        predict=predict,
        run_id=run_id,
        artifact_path=artifact_path,
        mlmodel=mlmodel,
        code_paths=code_paths,
        conda_env=conda_env,
    )


def check_python_model(python_model: Any, artifacts: Optional[dict[str, str]]) -> None:
    """Refuse, before anything is logged, a ``python_model`` that is neither a :class:`PythonModel`
    nor a function, and ``artifacts`` that are not a dict of plain names to existing files or URIs.

    >>> check_python_model(AddN(3), {"lookup": "lookup.csv"})
    >>> check_python_model(None, None)
    Traceback (most recent call last):
    InvalidParameterError: log_model needs python_model=<a mltrail.pyfunc.PythonModel instance or a function>
    """
    if python_model is None:
        raise InvalidParameterError("log_model needs python_model=<a mltrail.pyfunc.PythonModel instance or a function>")
    _as_python_model(python_model)
    _check_artifacts(artifacts)


def _call_predict(model: PythonModel, context: PythonModelContext, data: Any, params: Optional[dict[str, Any]]) -> Any:
    if "params" in inspect.signature(model.predict).parameters:
        return model.predict(context, data, params=params)
    return model.predict(context, data)


class _PythonModelPyfunc:
    def __init__(self, model: PythonModel, context: PythonModelContext) -> None:
        self.raw_model = model
        self._context = context
        # A predict hinted list[str] (etc.) gets that list, checked element by element.
        self._element = input_element(_hinted(model))
        self.checks_own_input = self._element is not None

    def predict(self, data: Any, params: Optional[dict[str, Any]] = None) -> Any:
        if self._element is not None:
            data = coerce_to_hint(data, self._element)
        return _call_predict(self.raw_model, self._context, data, params)


def _load_pyfunc(data_path: str) -> _PythonModelPyfunc:
    """pyfunc loader: ``data_path`` is the model folder."""
    folder = data_path if os.path.isdir(data_path) else os.path.dirname(data_path)
    conf = Model.load(folder).flavors.get("python_function") or {}
    where = "flavors.python_function"
    pickled = resolve_model_path(folder, conf.get("python_model", _PICKLE), f"{where}.python_model")
    model = load_pickle(pickled, "cloudpickle")
    if not isinstance(model, PythonModel):
        raise InvalidParameterError(f"{_PICKLE} in {folder!r} does not hold a PythonModel")
    artifacts = {
        name: resolve_model_path(folder, entry["path"], f"{where}.artifacts.{name}.path")
        for name, entry in (conf.get("artifacts") or {}).items()
    }
    context = PythonModelContext(artifacts, conf.get("model_config"))
    model.load_context(context)
    return _PythonModelPyfunc(model, context)


__all__ = ["PythonModel", "PythonModelContext", "check_python_model", "save_model"]

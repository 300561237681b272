"""The scikit-learn model flavor: save_model, log_model, load_model (``mltrail.sklearn``).

    >>> info = mltrail.sklearn.log_model(pipeline, name="model", input_example=X_val[:5])
    >>> pipe = mltrail.sklearn.load_model(info.model_uri)           # the estimator again
    >>> mltrail.pyfunc.load_model(info.model_uri).predict(df_val)

Serialization formats: ``"cloudpickle"`` (default), ``"pickle"`` and
``"skops"`` (when skops is installed). Loading a skops file never executes
arbitrary code: types outside skops' trusted defaults (and scikit-learn's own
classes) are refused unless the caller lists them in ``skops_trusted_types``.
"""

from __future__ import annotations

import json
import os
import warnings
import zipfile
from typing import Any, Optional, Sequence, Union

from mltrail.exceptions import InvalidParameterError
from mltrail.fluent import model_log_target
from mltrail.models.environment import installed_version
from mltrail.models.loading import open_model
from mltrail.models.model import Model
from mltrail.models.model_info import ModelInfo
from mltrail.models.saving import Flavor, SavedData, log_model_folder, model_name, save_model_folder, signature_for
from mltrail.models.serialization import PICKLE_FORMATS, dump_pickle, load_pickle
from mltrail.models.signature import ColSpec, ModelSignature, Schema

FLAVOR_NAME = "sklearn"
SERIALIZATION_CLOUDPICKLE = "cloudpickle"
SERIALIZATION_PICKLE = "pickle"
SERIALIZATION_SKOPS = "skops"
SUPPORTED_SERIALIZATION_FORMATS = (SERIALIZATION_CLOUDPICKLE, SERIALIZATION_PICKLE, SERIALIZATION_SKOPS)
# MLflow's names for the same formats.
SERIALIZATION_FORMAT_CLOUDPICKLE = SERIALIZATION_CLOUDPICKLE
SERIALIZATION_FORMAT_PICKLE = SERIALIZATION_PICKLE
SERIALIZATION_FORMAT_SKOPS = SERIALIZATION_SKOPS

_FLAVOR = Flavor(FLAVOR_NAME, "mlflow.sklearn")  # MLflow loads it too; mltrail answers as mltrail.sklearn
_FILE_NAMES = {SERIALIZATION_CLOUDPICKLE: "model.pkl", SERIALIZATION_PICKLE: "model.pkl", SERIALIZATION_SKOPS: "model.skops"}
_SERIALIZER_DISTRIBUTION = {SERIALIZATION_CLOUDPICKLE: "cloudpickle", SERIALIZATION_SKOPS: "skops"}


def _check_model(sk_model: Any, serialization_format: str, pyfunc_predict_fn: Optional[str]) -> str:
    """Check the arguments; return the method pyfunc calls (see :func:`_default_predict_fn`)."""
    if serialization_format not in SUPPORTED_SERIALIZATION_FORMATS:
        raise InvalidParameterError(
            f"serialization_format={serialization_format!r} is not one of {list(SUPPORTED_SERIALIZATION_FORMATS)}"
        )
    if serialization_format == SERIALIZATION_SKOPS and installed_version("skops") is None:
        raise InvalidParameterError("serialization_format='skops' needs the skops package: pip install skops")
    if isinstance(sk_model, type) or not (hasattr(sk_model, "fit") and hasattr(sk_model, "get_params")):
        raise InvalidParameterError(
            f"sk_model of type {type(sk_model).__name__} is not a scikit-learn estimator "
            "(expected an object with fit and get_params, such as a Pipeline or a fitted model)"
        )
    if pyfunc_predict_fn is None:
        return _default_predict_fn(sk_model)
    if not callable(getattr(sk_model, pyfunc_predict_fn, None)):
        raise InvalidParameterError(
            f"pyfunc_predict_fn={pyfunc_predict_fn!r}: {type(sk_model).__name__} has no such method"
        )
    return pyfunc_predict_fn


def _default_predict_fn(sk_model: Any) -> str:
    """``predict`` when the model has it, else ``transform`` (scalers, vectorizers, PCA...).

    A model with neither (NearestNeighbors, EmpiricalCovariance) is still
    saved with ``predict`` recorded, as MLflow does: its sklearn flavor loads
    as usual, and pyfunc loading says which method is missing.
    """
    for name in ("predict", "transform"):
        if callable(getattr(sk_model, name, None)):
            return name
    return "predict"


def _skops_modules(path: str) -> set[str]:
    """Top-level modules a skops file references (its schema.json lists each object's ``__module__``)."""
    modules: set[str] = set()
    with zipfile.ZipFile(path) as zf:
        schema = json.loads(zf.read("schema.json"))
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            module = node.get("__module__")
            if isinstance(module, str):
                modules.add(module.split(".", 1)[0])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return modules


def get_default_pip_requirements(include_cloudpickle: bool = False) -> list[str]:
    """The pinned requirements every scikit-learn model gets (and cloudpickle when asked), as MLflow.

    >>> mltrail.sklearn.get_default_pip_requirements()
    ['scikit-learn==1.9.1']
    """
    from mltrail.models.environment import infer_requirements

    return infer_requirements((), ("scikit-learn", *(("cloudpickle",) if include_cloudpickle else ())))


def get_default_conda_env(include_cloudpickle: bool = False) -> dict[str, Any]:
    """The conda environment of :func:`get_default_pip_requirements`, with mltrail itself.

    >>> mltrail.sklearn.get_default_conda_env()["dependencies"][-1]["pip"]
    ['mltrail==0.1.0', 'scikit-learn==1.9.1']
    """
    from mltrail.models.environment import default_conda_env

    return default_conda_env(get_default_pip_requirements(include_cloudpickle))


def _check_trusted(skops_trusted_types: Optional[Sequence[str]]) -> Optional[list[str]]:
    if skops_trusted_types is None:
        return None
    if isinstance(skops_trusted_types, str) or not all(isinstance(t, str) for t in skops_trusted_types):
        raise InvalidParameterError(
            f"skops_trusted_types={skops_trusted_types!r}: expected a list of fully qualified type names"
        )
    return list(skops_trusted_types)


def _writer(sk_model: Any, serialization_format: str, pyfunc_predict_fn: str, trusted: Optional[list[str]] = None):
    def write(folder: str) -> SavedData:
        file_name = _FILE_NAMES[serialization_format]
        path = os.path.join(folder, file_name)
        if serialization_format == SERIALIZATION_SKOPS:
            import skops.io

            skops.io.dump(sk_model, path)
            modules = _skops_modules(path)
        else:
            modules = dump_pickle(sk_model, path, serialization_format)
        import sklearn

        requirements = ["scikit-learn"]
        if serialization_format in _SERIALIZER_DISTRIBUTION:
            requirements.append(_SERIALIZER_DISTRIBUTION[serialization_format])
        return SavedData(
            flavor_conf={
                "pickled_model": file_name,
                "sklearn_version": sklearn.__version__,
                "serialization_format": serialization_format,
                **({"skops_trusted_types": trusted} if trusted else {}),
            },
            pyfunc_conf={"model_path": file_name, "predict_fn": pyfunc_predict_fn},
            modules=modules,
            requirements=tuple(requirements),
        )

    return write


def save_model(
    sk_model: Any,
    path: Union[str, "os.PathLike[str]"],
    serialization_format: str = SERIALIZATION_CLOUDPICKLE,
    signature: Union[ModelSignature, bool, None] = None,
    input_example: Any = None,
    pip_requirements: Union[None, str, Sequence[str]] = None,
    extra_pip_requirements: Union[None, str, Sequence[str]] = None,
    pyfunc_predict_fn: Optional[str] = None,
    metadata: Optional[dict[str, Any]] = None,
    mlflow_model: Optional[Model] = None,
    code_paths: Optional[Sequence[str]] = None,
    conda_env: Any = None,
    skops_trusted_types: Optional[Sequence[str]] = None,
    extra_files: Optional[Sequence[str]] = None,
    *,
    run_id: Optional[str] = None,
    artifact_path: Optional[str] = None,
) -> Model:
    """Save ``sk_model`` as a model folder at ``path`` (which must not exist or be empty).

    ``pyfunc_predict_fn`` names the method pyfunc's ``predict`` calls; by
    default ``predict``, or ``transform`` for a model without ``predict``
    (a fitted StandardScaler or DictVectorizer). ``skops_trusted_types``
    (skops format) are recorded in MLmodel and trusted when the model loads;
    ``conda_env`` and ``extra_files`` as in MLflow.

    >>> mltrail.sklearn.save_model(pipe, "out/model", input_example=X[:5])
    >>> mltrail.sklearn.save_model(scaler, "out/scaler")   # pyfunc predict = scaler.transform
    """
    predict_fn = _check_model(sk_model, serialization_format, pyfunc_predict_fn)
    trusted = _check_trusted(skops_trusted_types)
    predict = _SklearnPyfunc(sk_model, predict_fn).predict if callable(getattr(sk_model, predict_fn, None)) else None
    if signature in (None, True) and input_example is not None and _reads_records(sk_model):
        signature = _optional_keys(signature_for(signature, input_example, predict))
    return save_model_folder(
        path,
        _FLAVOR,
        _writer(sk_model, serialization_format, predict_fn, trusted),
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
        predict=predict,
        run_id=run_id,
        artifact_path=artifact_path,
        mlmodel=mlflow_model,
        code_paths=code_paths,
        conda_env=conda_env,
        extra_files=extra_files,
    )


def log_model(
    sk_model: Any,
    artifact_path: Optional[str] = None,
    serialization_format: str = SERIALIZATION_CLOUDPICKLE,
    registered_model_name: Optional[str] = None,
    signature: Union[ModelSignature, bool, None] = None,
    input_example: Any = None,
    pip_requirements: Union[None, str, Sequence[str]] = None,
    extra_pip_requirements: Union[None, str, Sequence[str]] = None,
    pyfunc_predict_fn: Optional[str] = None,
    metadata: Optional[dict[str, Any]] = None,
    code_paths: Optional[Sequence[str]] = None,
    conda_env: Any = None,
    skops_trusted_types: Optional[Sequence[str]] = None,
    extra_files: Optional[Sequence[str]] = None,
    await_registration_for: int = 300,
    *,
    name: Optional[str] = None,
    run_id: Optional[str] = None,
    params: Optional[dict[str, Any]] = None,
    tags: Optional[dict[str, Any]] = None,
    model_type: Optional[str] = None,
    step: int = 0,
    model_id: Optional[str] = None,
) -> ModelInfo:
    """Log ``sk_model`` as an MLflow 3 LoggedModel named ``name`` (linked to the active run, if any).

    ``artifact_path`` is the deprecated name of ``name``. ``params``, ``tags``,
    ``model_type`` go to the logged model; ``step`` is recorded in the run's
    outputs; ``model_id`` fills a model made by ``initialize_logged_model``.
    No run is started when none is active. See :mod:`mltrail.models.logged_model_folder`.
    The folder is built completely before anything is logged.
    ``await_registration_for`` is accepted for MLflow compatibility (mltrail's
    registry versions are READY at once); an unknown keyword raises TypeError.

    >>> info = mltrail.sklearn.log_model(pipe, name="model", input_example=X[:5])
    >>> info.model_uri
    'models:/m-6c0f...'
    """
    _check_model(sk_model, serialization_format, pyfunc_predict_fn)
    _check_trusted(skops_trusted_types)
    path = model_name(name, artifact_path)

    def save(local: str, run_id: str, artifact_path: str) -> Model:
        return save_model(
            sk_model,
            local,
            serialization_format=serialization_format,
            signature=signature,
            input_example=input_example,
            pip_requirements=pip_requirements,
            extra_pip_requirements=extra_pip_requirements,
            pyfunc_predict_fn=pyfunc_predict_fn,
            metadata=metadata,
            code_paths=code_paths,
            conda_env=conda_env,
            skops_trusted_types=skops_trusted_types,
            extra_files=extra_files,
            run_id=run_id,
            artifact_path=artifact_path,
        )

    return log_model_folder(
        path, save, model_log_target, registered_model_name=registered_model_name, run_id=run_id,
        params=params, tags=tags, model_type=model_type, step=step, model_id=model_id,
    )


def _sklearn_classes(type_names: Sequence[str]) -> set[str]:
    """The names among ``type_names`` that are classes defined by scikit-learn itself.

    skops leaves some of scikit-learn's own internals untrusted (e.g. the
    Cython ``sklearn.tree._tree.Tree`` every tree model holds). Rebuilding an
    instance of a scikit-learn class only runs scikit-learn's code, so these
    are accepted; functions (which a FunctionTransformer would call) and
    classes from any other package still need ``skops_trusted_types``.
    """
    import importlib

    accepted = set()
    for name in type_names:
        module_name, _, attr = name.rpartition(".")
        if not module_name.startswith("sklearn."):
            continue
        try:
            obj = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError):
            continue
        if isinstance(obj, type) and obj.__module__.startswith("sklearn."):
            accepted.add(name)
    return accepted


def _load_skops(path: str, trusted: Optional[Sequence[str]]) -> Any:
    import skops.io

    try:
        untrusted = skops.io.get_untrusted_types(file=path)
    except (zipfile.BadZipFile, KeyError, ValueError, json.JSONDecodeError) as e:
        raise InvalidParameterError(f"Model file {path!r} is not a valid skops file (corrupt or truncated): {e}") from None
    refused = sorted(set(untrusted) - set(trusted or ()) - _sklearn_classes(untrusted))
    if refused:
        raise InvalidParameterError(
            f"Model file {path!r} references types skops does not trust by default: {refused}. "
            "Loading never runs code from untrusted types; if you trust them, pass "
            f"skops_trusted_types={refused} to load_model"
        )
    try:
        return skops.io.load(path, trusted=list(untrusted) or None)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as e:
        raise InvalidParameterError(f"Model file {path!r} is not a valid skops file (corrupt or truncated): {e}") from None


def _read(folder: str, conf: dict[str, Any], skops_trusted_types: Optional[Sequence[str]] = None) -> Any:
    fmt = conf.get("serialization_format", SERIALIZATION_CLOUDPICKLE)
    path = os.path.join(folder, conf.get("pickled_model", _FILE_NAMES.get(fmt, "model.pkl")))
    if fmt == SERIALIZATION_SKOPS:
        recorded = conf.get("skops_trusted_types") or []  # trusted by whoever saved the model
        return _load_skops(path, [*recorded, *(skops_trusted_types or [])])
    if fmt not in PICKLE_FORMATS:
        raise InvalidParameterError(
            f"Model at {folder!r}: MLmodel records serialization_format {fmt!r}, "
            f"which is not one of {list(SUPPORTED_SERIALIZATION_FORMATS)}"
        )
    return load_pickle(path, fmt)


def load_model(
    model_uri: str,
    dst_path: Optional[str] = None,
    verify: Optional[bool] = None,
    skops_trusted_types: Optional[Sequence[str]] = None,
) -> Any:
    """Load the scikit-learn model at ``model_uri`` (runs:/, models:/, a path): the estimator that was logged.

    ``verify=False`` skips the integrity check; ``skops_trusted_types`` lists
    extra types a skops file may contain.

    >>> pipe = mltrail.sklearn.load_model(f"runs:/{run_id}/model")
    """
    with open_model(model_uri, FLAVOR_NAME, dst_path, verify) as (folder, _mlmodel, conf):
        return _read(folder, conf, skops_trusted_types)


_RECORD_READERS = ("sklearn.feature_extraction._dict_vectorizer.DictVectorizer",)
_HASHER = "sklearn.feature_extraction._hash.FeatureHasher"


def _qualified_names(obj: Any) -> set[str]:
    return {f"{c.__module__}.{c.__qualname__}" for c in type(obj).__mro__}


def _first_step(model: Any) -> Any:
    """The estimator that sees the raw input: through Pipelines and fitted searches."""
    for _ in range(32):  # nesting depth guard
        names = _qualified_names(model)
        if "sklearn.pipeline.Pipeline" in names:
            steps = [step for _, step in model.steps if step is not None and step != "passthrough"]
            if not steps:
                return model
            model = steps[0]
        elif "sklearn.model_selection._search.BaseSearchCV" in names and hasattr(model, "best_estimator_"):
            model = model.best_estimator_
        else:
            return model
    return model


def _reads_records(model: Any) -> bool:
    """True when the model's input is a list of mappings (a DictVectorizer first, or FeatureHasher on dicts)."""
    first = _first_step(model)
    names = _qualified_names(first)
    if any(n in names for n in _RECORD_READERS):
        return True
    return _HASHER in names and getattr(first, "input_type", None) == "dict"


def _records(frame: Any) -> list[dict[str, Any]]:
    """Rows of a DataFrame as dicts without their missing cells (the keys the original records lacked)."""
    from pandas import NA

    rows = frame.to_dict(orient="records")
    return [
        {str(k): v for k, v in row.items() if v is not None and v is not NA and not (isinstance(v, float) and v != v)}
        for row in rows
    ]


def _optional_keys(signature: Optional[ModelSignature]) -> Union[ModelSignature, bool]:
    """An inferred signature for a model reading records, with every input column optional.

    A DictVectorizer reads any subset of keys (an absent key is a zero), so a
    record without one of the example's keys is valid input; the types of the
    keys present are still checked. False (no signature) when none could be inferred.
    """
    if signature is None:
        return False
    inputs = signature.inputs
    if inputs is not None and not inputs.is_tensor_spec():
        inputs = Schema([ColSpec(s.type, s.name, required=False) for s in inputs.inputs])  # type: ignore[union-attr]
    return ModelSignature(inputs, signature.outputs, signature.params)


class _SklearnPyfunc:
    """pyfunc wrapper: calls the recorded predict function.

    A numeric DataFrame whose columns are exactly the model's
    ``feature_names_in_`` is passed as its values: the same input to the
    model, minus pandas handling in every validation step (several times
    faster for the small requests a scoring server gets). A model whose first
    step reads dicts (DictVectorizer) gets the rows as a list of dicts, so a
    DataFrame or list of records works as it did in training.
    """

    def __init__(self, model: Any, predict_fn: str) -> None:
        self.raw_model = model
        method = getattr(model, predict_fn, None)
        if not callable(method):
            raise InvalidParameterError(
                f"The scikit-learn model {type(model).__name__} has no method {predict_fn!r} for pyfunc's predict: "
                "load it with mltrail.sklearn.load_model, or log it with pyfunc_predict_fn naming one of its methods"
            )
        self._predict = method
        self._reads_records = _reads_records(model)
        names = getattr(model, "feature_names_in_", None)
        self._feature_names = None if names is None else [str(n) for n in names]

    def accepts_array(self, columns: list) -> bool:
        """A 2-D array with ``columns`` in this order is exactly what the model was fit on."""
        if self._reads_records:
            return False
        return self._feature_names is None or self._feature_names == [str(c) for c in columns]

    def predict(self, data: Any, params: Optional[dict[str, Any]] = None) -> Any:
        if not hasattr(data, "to_numpy") or not hasattr(data, "columns"):
            if self._feature_names is not None and getattr(data, "ndim", 0) == 2:
                # Only reached with arrays pyfunc checked against the feature names' order.
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message="X does not have valid feature names")
                    return self._predict(data)
            return self._predict(data)
        if self._reads_records:
            return self._predict(_records(data))
        if self._feature_names is None:
            return self._predict(data.to_numpy())  # fit on arrays: a DataFrame would only warn
        if list(data.columns) == self._feature_names and all(
            getattr(dt, "kind", "O") in "biuf" for dt in data.dtypes.tolist()
        ):
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="X does not have valid feature names")
                return self._predict(data.to_numpy())
        return self._predict(data)


def _load_pyfunc(data_path: str) -> _SklearnPyfunc:
    """pyfunc loader: ``data_path`` is the model file (or the model folder)."""
    folder = data_path if os.path.isdir(data_path) else os.path.dirname(data_path)
    mlmodel = Model.load(folder)
    conf = mlmodel.flavors.get(FLAVOR_NAME) or {"pickled_model": os.path.basename(data_path)}
    predict_fn = (mlmodel.flavors.get("python_function") or {}).get("predict_fn") or "predict"
    return _SklearnPyfunc(_read(folder, conf), predict_fn)


__all__ = [
    "FLAVOR_NAME",
    "SERIALIZATION_FORMAT_CLOUDPICKLE",
    "SERIALIZATION_FORMAT_PICKLE",
    "SERIALIZATION_FORMAT_SKOPS",
    "SUPPORTED_SERIALIZATION_FORMATS",
    "get_default_conda_env",
    "get_default_pip_requirements",
    "load_model",
    "log_model",
    "save_model",
]

"""The XGBoost model flavor: save_model, log_model, load_model (``mltrail.xgboost``).

    >>> info = mltrail.xgboost.log_model(booster, artifact_path="models_mlflow")
    >>> booster = mltrail.xgboost.load_model(f"runs:/{run_id}/models_mlflow")   # an xgboost.Booster again

Handles ``xgboost.Booster`` and the scikit-learn API models (XGBRegressor,
XGBClassifier, XGBRanker, ...). Models are written in XGBoost's own format,
UBJSON by default (``model_format="json"`` on request), never pickled;
loading rebuilds the class that was logged.
"""

from __future__ import annotations

import importlib
import os
from typing import Any, Optional, Sequence, Union

from mltrail.exceptions import InvalidParameterError
from mltrail.fluent import model_log_target
from mltrail.models.loading import open_model
from mltrail.models.model import Model
from mltrail.models.model_info import ModelInfo
from mltrail.models.saving import Flavor, SavedData, log_model_folder, model_name, save_model_folder
from mltrail.models.signature import ModelSignature

FLAVOR_NAME = "xgboost"
SUPPORTED_MODEL_FORMATS = ("ubj", "json")

_FLAVOR = Flavor(FLAVOR_NAME, "mlflow.xgboost")  # MLflow loads it too; mltrail answers as mltrail.xgboost


def _class_path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _check_model(xgb_model: Any, model_format: str) -> None:
    import xgboost

    if model_format not in SUPPORTED_MODEL_FORMATS:
        raise InvalidParameterError(
            f"model_format={model_format!r} is not one of {list(SUPPORTED_MODEL_FORMATS)} (XGBoost's native formats)"
        )
    if not isinstance(xgb_model, (xgboost.Booster, xgboost.XGBModel)):
        raise InvalidParameterError(
            f"xgb_model of type {type(xgb_model).__name__} is not an XGBoost model "
            "(expected an xgboost.Booster or a scikit-learn API model such as XGBRegressor)"
        )
    if isinstance(xgb_model, xgboost.XGBModel):
        if not xgb_model.__sklearn_is_fitted__():
            raise InvalidParameterError(
                f"{type(xgb_model).__name__} is not fitted: call fit before logging it"
            )


def _booster_predict(booster: Any, data: Any) -> Any:
    """Predict without building a DMatrix (``inplace_predict`` is much cheaper for small inputs)."""
    if booster.feature_names is None and hasattr(data, "to_numpy"):
        data = data.to_numpy()
    return booster.inplace_predict(data)


def _writer(xgb_model: Any, model_format: str):
    def write(folder: str) -> SavedData:
        import xgboost

        file_name = f"model.{model_format}"
        xgb_model.save_model(os.path.join(folder, file_name))
        requirements = ["xgboost"]
        if isinstance(xgb_model, xgboost.XGBModel):
            requirements.append("scikit-learn")
        modules = {type(xgb_model).__module__.split(".", 1)[0]}
        return SavedData(
            flavor_conf={
                "data": file_name,
                "model_class": _class_path(type(xgb_model)),
                "model_format": model_format,
                "xgb_version": xgboost.__version__,
            },
            pyfunc_conf={"model_path": file_name},
            modules=modules,
            requirements=tuple(requirements),
        )

    return write


def get_default_pip_requirements() -> list[str]:
    """The pinned requirements every XGBoost model gets, as MLflow.

    >>> mltrail.xgboost.get_default_pip_requirements()
    ['xgboost==3.2.0']
    """
    from mltrail.models.environment import infer_requirements

    return infer_requirements((), ("xgboost",))


def get_default_conda_env() -> dict[str, Any]:
    """The conda environment of :func:`get_default_pip_requirements`, with mltrail itself.

    >>> mltrail.xgboost.get_default_conda_env()["dependencies"][-1]["pip"]
    ['mltrail==0.1.0', 'xgboost==3.2.0']
    """
    from mltrail.models.environment import default_conda_env

    return default_conda_env(get_default_pip_requirements())


def _predictor(xgb_model: Any):
    import xgboost

    if isinstance(xgb_model, xgboost.Booster):
        return lambda data: _booster_predict(xgb_model, data)
    return xgb_model.predict


def save_model(
    xgb_model: Any,
    path: Union[str, "os.PathLike[str]"],
    signature: Union[ModelSignature, bool, None] = None,
    input_example: Any = None,
    pip_requirements: Union[None, str, Sequence[str]] = None,
    extra_pip_requirements: Union[None, str, Sequence[str]] = None,
    model_format: str = "ubj",
    metadata: Optional[dict[str, Any]] = None,
    mlflow_model: Optional[Model] = None,
    code_paths: Optional[Sequence[str]] = None,
    conda_env: Any = None,
    extra_files: Optional[Sequence[str]] = None,
    *,
    run_id: Optional[str] = None,
    artifact_path: Optional[str] = None,
) -> Model:
    """Save an XGBoost model as a model folder at ``path`` (which must not exist or be empty).

    ``conda_env`` and ``extra_files`` as in MLflow (see :func:`mltrail.models.saving.save_model_folder`).

    >>> mltrail.xgboost.save_model(booster, "out/model", model_format="json")
    """
    _check_model(xgb_model, model_format)
    return save_model_folder(
        path,
        _FLAVOR,
        _writer(xgb_model, model_format),
        signature=signature,
        input_example=input_example,
        pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements,
        metadata=metadata,
        predict=_predictor(xgb_model),
        run_id=run_id,
        artifact_path=artifact_path,
        mlmodel=mlflow_model,
        code_paths=code_paths,
        conda_env=conda_env,
        extra_files=extra_files,
    )


def log_model(
    xgb_model: Any,
    artifact_path: Optional[str] = None,
    registered_model_name: Optional[str] = None,
    signature: Union[ModelSignature, bool, None] = None,
    input_example: Any = None,
    pip_requirements: Union[None, str, Sequence[str]] = None,
    extra_pip_requirements: Union[None, str, Sequence[str]] = None,
    model_format: str = "ubj",
    metadata: Optional[dict[str, Any]] = None,
    code_paths: Optional[Sequence[str]] = None,
    conda_env: Any = None,
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
    """Log an XGBoost model as an MLflow 3 LoggedModel named ``name`` (linked to the active run, if any).

    ``artifact_path`` is the deprecated name of ``name``; the other MLflow 3
    arguments are those of ``mltrail.sklearn.log_model``. ``await_registration_for``
    is accepted for MLflow compatibility (mltrail's registry versions are READY
    at once); an unknown keyword raises TypeError.

    >>> info = mltrail.xgboost.log_model(booster, name="models_mlflow")
    >>> mltrail.xgboost.load_model(info.model_uri)
    <xgboost.core.Booster object at ...>
    """
    _check_model(xgb_model, model_format)
    path = model_name(name, artifact_path)

    def save(local: str, run_id: str, artifact_path: str) -> Model:
        return save_model(
            xgb_model,
            local,
            signature=signature,
            input_example=input_example,
            pip_requirements=pip_requirements,
            extra_pip_requirements=extra_pip_requirements,
            model_format=model_format,
            metadata=metadata,
            code_paths=code_paths,
            conda_env=conda_env,
            extra_files=extra_files,
            run_id=run_id,
            artifact_path=artifact_path,
        )

    return log_model_folder(
        path, save, model_log_target, registered_model_name=registered_model_name, run_id=run_id,
        params=params, tags=tags, model_type=model_type, step=step, model_id=model_id,
    )


def _model_class(class_path: str) -> type:
    import xgboost

    module_name, _, name = class_path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError, ValueError):
        raise InvalidParameterError(
            f"MLmodel records XGBoost model class {class_path!r}, which cannot be imported here"
        ) from None
    if not (isinstance(cls, type) and issubclass(cls, (xgboost.Booster, xgboost.XGBModel))):
        raise InvalidParameterError(
            f"MLmodel records model class {class_path!r}, which is not an XGBoost Booster or XGBModel class"
        )
    return cls


def _read(folder: str, conf: dict[str, Any]) -> Any:
    import xgboost

    path = os.path.join(folder, conf.get("data", "model.ubj"))
    cls = _model_class(conf.get("model_class", "xgboost.core.Booster"))
    model = cls()
    try:
        model.load_model(path)
    except (xgboost.core.XGBoostError, UnicodeDecodeError) as e:  # xgboost cannot decode its own error
        # message when it quotes the file's non-UTF-8 bytes: that is a corrupt file too
        first_line = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise InvalidParameterError(
            f"Model file {path!r} is not a valid XGBoost {conf.get('model_format', '')} model file "
            f"(corrupt or truncated): {first_line}"
        ) from None
    return model


def load_model(model_uri: str, dst_path: Optional[str] = None, verify: Optional[bool] = None) -> Any:
    """Load the XGBoost model at ``model_uri``: a Booster, or the scikit-learn API class that was logged.

    >>> booster = mltrail.xgboost.load_model(f"runs:/{run_id}/models_mlflow")
    """
    with open_model(model_uri, FLAVOR_NAME, dst_path, verify) as (folder, _mlmodel, conf):
        return _read(folder, conf)


class _XGBoostPyfunc:
    """pyfunc wrapper: Booster inputs go through a DMatrix, sklearn-API models predict directly."""

    def __init__(self, model: Any) -> None:
        import xgboost

        self.raw_model = model
        self._is_booster = isinstance(model, xgboost.Booster)

    def accepts_array(self, columns: list) -> bool:
        """A 2-D array with ``columns`` in this order matches the model's features (no pandas needed)."""
        if self._is_booster:
            names = self.raw_model.feature_names
        else:
            names = getattr(self.raw_model, "feature_names_in_", None)
        return names is None or [str(n) for n in names] == [str(c) for c in columns]

    def predict(self, data: Any, params: Optional[dict[str, Any]] = None) -> Any:
        if self._is_booster:
            return _booster_predict(self.raw_model, data)
        return self.raw_model.predict(data)


def _load_pyfunc(data_path: str) -> _XGBoostPyfunc:
    """pyfunc loader: ``data_path`` is the model file (or the model folder)."""
    folder = data_path if os.path.isdir(data_path) else os.path.dirname(data_path)
    conf = Model.load(folder).flavors.get(FLAVOR_NAME) or {"data": os.path.basename(data_path)}
    return _XGBoostPyfunc(_read(folder, conf))


__all__ = [
    "FLAVOR_NAME",
    "SUPPORTED_MODEL_FORMATS",
    "get_default_conda_env",
    "get_default_pip_requirements",
    "load_model",
    "log_model",
    "save_model",
]

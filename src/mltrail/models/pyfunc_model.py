"""pyfunc: load any logged model as a ``PyFuncModel`` with one ``predict``.

Every flavor records in MLmodel's ``python_function`` entry the module that
loads it (``loader_module``); that module's ``_load_pyfunc(data_path)``
returns an object with ``predict(data, params=None)``. ``PyFuncModel`` checks
the input against the model's signature first, naming the missing column or
the column with the wrong type::

    >>> model = mltrail.pyfunc.load_model(f"runs:/{run_id}/model")
    >>> model.predict(df_val)                     # DataFrame, numpy array or list of dicts
    array([0, 1, 1, ...])
"""

from __future__ import annotations

import importlib
import os
from typing import Any, Optional

from ..exceptions import InvalidParameterError
from .code_paths import code_on_path
from .integrity import resolve_model_path
from .loading import flavor_conf, open_model
from .model import Model
from .schema_enforcement import enforce_array, enforce_schema, uniform_numeric_dtype
from .signature import Schema

FLAVOR_NAME = "python_function"


class PyFuncModel:
    """A loaded model with a framework-independent ``predict``.

    >>> model.predict([{"x": 1.0, "y": 2.0}])
    """

    def __init__(self, model_meta: Model, model_impl: Any, loader_module: Optional[str] = None) -> None:
        if not hasattr(model_impl, "predict"):
            raise InvalidParameterError(f"pyfunc implementation {type(model_impl).__name__} has no predict method")
        self._model_meta = model_meta
        self._model_impl = model_impl
        self._input_schema: Optional[Schema] = model_meta.get_input_schema()
        self.loader_module = loader_module
        # Fast path: a 2-D numeric array stands for the signature's columns when they
        # share one numeric type and the implementation takes arrays in that order.
        self._array_dtype = uniform_numeric_dtype(self._input_schema)
        accepts = getattr(model_impl, "accepts_array", None)
        if self._array_dtype and not (accepts and accepts(self._input_schema.input_names())):  # type: ignore[union-attr]
            self._array_dtype = None

    @property
    def array_columns(self) -> Optional[list[str]]:
        """Column names a 2-D array passed to :meth:`predict` is taken to have, when arrays skip pandas.

        None when predict needs a DataFrame (mixed column types, no signature...).

        >>> model.array_columns
        ['sepal_length', 'sepal_width', 'petal_length', 'petal_width']
        """
        return self._input_schema.input_names() if self._array_dtype else None  # type: ignore[union-attr]

    @property
    def metadata(self) -> Model:
        """The model's MLmodel contents (signature, run_id, flavors...).

        >>> model.metadata.run_id
        '5f3c...'
        """
        return self._model_meta

    def predict(self, data: Any, params: Optional[dict[str, Any]] = None) -> Any:
        """Predict on a pandas DataFrame, numpy array, list of dicts or dict of columns.

        Input is checked against the signature; the result is what the
        underlying model returns (numpy array, Series or DataFrame).

        >>> model.predict(pd.DataFrame({"x": [1.0, 2.0]}))
        array([0, 1])
        """
        if getattr(self._model_impl, "checks_own_input", False):  # type-hinted custom model
            return self._model_impl.predict(data, params=params)
        if self._array_dtype is not None and type(data).__name__ == "ndarray" and getattr(data, "ndim", 0) == 2:
            data = enforce_array(data, self._input_schema, *self._array_dtype)  # type: ignore[arg-type]
        else:
            data = enforce_schema(data, self._input_schema)
        return self._model_impl.predict(data, params=params)

    def get_raw_model(self) -> Any:
        """The framework object under the wrapper (an sklearn estimator, an xgboost Booster...).

        >>> model.get_raw_model().steps[-1]
        """
        raw = getattr(self._model_impl, "raw_model", None)
        return raw if raw is not None else self._model_impl

    unwrap_python_model = get_raw_model

    def __repr__(self) -> str:
        meta = self._model_meta
        return (
            f"PyFuncModel(flavor={self.loader_module!r}, run_id={meta.run_id!r}, "
            f"artifact_path={meta.artifact_path!r})"
        )


def _import_loader(name: str, where: str) -> Any:
    # MLmodel names MLflow's loader (mlflow.<flavor>), ours and MLflow's alike: mltrail.<flavor>
    # answers first, so an installed MLflow does not take over mltrail's loading.
    candidates = [name]
    if name.startswith("mlflow."):
        candidates.insert(0, "mltrail." + name[len("mlflow."):])
    for candidate in candidates:
        try:
            return importlib.import_module(candidate)
        except ImportError:
            continue
    raise InvalidParameterError(
        f"Model at {where!r}: MLmodel's python_function flavor names loader module {name!r}, "
        "which is not installed (unknown flavor)"
    )


def load_model(
    model_uri: str,
    suppress_warnings: bool = False,
    dst_path: Optional[str] = None,
    verify: Optional[bool] = None,
) -> PyFuncModel:
    """Load the model at ``model_uri`` (runs:/, models:/, a path) as a :class:`PyFuncModel`.

    ``verify=False`` skips the integrity check of the folder's files.

    >>> model = load_model("runs:/5f3c.../model")
    >>> model.predict(df)
    """
    with open_model(model_uri, None, dst_path, verify) as (folder, mlmodel, _):
        conf = flavor_conf(mlmodel, FLAVOR_NAME, model_uri)
        loader_name = conf.get("loader_module")
        if not isinstance(loader_name, str) or not loader_name:
            raise InvalidParameterError(
                f"Model at {model_uri!r}: MLmodel's python_function flavor records no loader_module"
            )
        module = _import_loader(loader_name, model_uri)
        loader = getattr(module, "_load_pyfunc", None)
        if loader is None:
            raise InvalidParameterError(
                f"Model at {model_uri!r}: loader module {loader_name!r} has no _load_pyfunc function"
            )
        data_path = folder
        if conf.get("model_path"):
            data_path = resolve_model_path(folder, conf["model_path"], f"flavors.{FLAVOR_NAME}.model_path")
        with code_on_path(folder, conf):
            impl = loader(data_path)
    return PyFuncModel(mlmodel, impl, loader_name)


def load_pyfunc(
    model_uri: str, suppress_warnings: bool = False, dst_path: Optional[str] = None, verify: Optional[bool] = None
) -> PyFuncModel:
    """Deprecated alias of :func:`load_model` (as in MLflow); warns once per call.

    >>> model = load_pyfunc("runs:/5f3c.../model")
    """
    import warnings

    warnings.warn(
        "mltrail.pyfunc.load_pyfunc is deprecated; use mltrail.pyfunc.load_model", FutureWarning, stacklevel=2
    )
    return load_model(model_uri, suppress_warnings, dst_path, verify)


def get_default_pip_requirements() -> list[str]:
    """The pip requirements every custom pyfunc model gets: cloudpickle, pinned (as MLflow).

    >>> get_default_pip_requirements()
    ['cloudpickle==3.1.2']
    """
    from .environment import infer_requirements

    return infer_requirements((), ("cloudpickle",))


def get_default_conda_env() -> dict[str, Any]:
    """The conda environment of :func:`get_default_pip_requirements` (plus mltrail itself).

    >>> get_default_conda_env()["dependencies"][-1]
    {'pip': ['mltrail==0.1.0', 'cloudpickle==3.1.2']}
    """
    from .environment import default_conda_env

    return default_conda_env(get_default_pip_requirements())


def get_model_dependencies(model_uri: str) -> str:
    """Path of the downloaded model's ``requirements.txt`` (for ``pip install -r``).

    >>> get_model_dependencies("runs:/5f3c.../model")
    '/work/mltrail-artifacts/1/5f3c.../artifacts/model/requirements.txt'
    """
    from .uri import download_model

    folder = download_model(model_uri)
    return os.path.join(folder, "requirements.txt")


__all__ = [
    "FLAVOR_NAME",
    "PyFuncModel",
    "get_default_conda_env",
    "get_default_pip_requirements",
    "get_model_dependencies",
    "load_model",
    "load_pyfunc",
]

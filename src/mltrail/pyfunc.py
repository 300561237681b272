"""``mltrail.pyfunc``: load any logged model and predict with it (MLflow's ``mlflow.pyfunc``).

>>> import mltrail
>>> model = mltrail.pyfunc.load_model(f"runs:/{run_id}/model")
>>> model.predict(df_val)

Custom models subclass :class:`PythonModel` and are saved with
``mltrail.pyfunc.log_model(python_model=...)``. The implementation lives in
:mod:`mltrail.models.pyfunc_model` and :mod:`mltrail.models.python_model`;
``log_model`` is here, where the models layer meets the fluent one (which
knows the active run).
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, Union

from .fluent import model_log_target
from .models.model import Model
from .models.model_info import ModelInfo
from .models.saving import log_model_folder, model_name
from .models.signature import ModelSignature

from .models.pyfunc_model import (
    FLAVOR_NAME,
    PyFuncModel,
    get_default_conda_env,
    get_default_pip_requirements,
    get_model_dependencies,
    load_model,
    load_pyfunc,
)
from .models.python_model import PythonModel, PythonModelContext, check_python_model, save_model


def log_model(
    artifact_path: Optional[str] = None,
    python_model: Union[PythonModel, Callable[..., Any], None] = None,
    artifacts: Optional[dict[str, str]] = None,
    registered_model_name: Optional[str] = None,
    signature: Union[ModelSignature, bool, None] = None,
    input_example: Any = None,
    pip_requirements: Union[None, str, Sequence[str]] = None,
    extra_pip_requirements: Union[None, str, Sequence[str]] = None,
    metadata: Optional[dict[str, Any]] = None,
    code_paths: Optional[Sequence[str]] = None,
    model_config: Optional[dict[str, Any]] = None,
    conda_env: Any = None,
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
    """Log a :class:`PythonModel` (or a plain function) as an MLflow 3 LoggedModel named ``name``
    (linked to the active run, if any).

    ``artifact_path`` is the deprecated name of ``name``; the other MLflow 3
    arguments are those of ``mltrail.sklearn.log_model``. ``await_registration_for``
    is accepted for MLflow compatibility: mltrail's registry creates versions
    READY at once, so there is nothing to wait for.

    >>> info = mltrail.pyfunc.log_model(name="model", python_model=AddN(3), input_example=df[:3])
    >>> info = mltrail.pyfunc.log_model(name="m", python_model=MyModel(), artifacts={"clf": "runs:/<id>/model"})
    """
    check_python_model(python_model, artifacts)

    def save(local: str, run_id: str, artifact_path: str) -> Model:
        return save_model(
            local, python_model, artifacts=artifacts, signature=signature, input_example=input_example,
            pip_requirements=pip_requirements, extra_pip_requirements=extra_pip_requirements,
            metadata=metadata, code_paths=code_paths, model_config=model_config, conda_env=conda_env,
            run_id=run_id, artifact_path=artifact_path,
        )

    return log_model_folder(
        model_name(name, artifact_path), save, model_log_target, registered_model_name=registered_model_name,
        run_id=run_id,
        params=params, tags=tags, model_type=model_type, step=step, model_id=model_id,
    )


__all__ = [
    "FLAVOR_NAME",
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "get_default_conda_env",
    "get_default_pip_requirements",
    "get_model_dependencies",
    "load_model",
    "load_pyfunc",
    "log_model",
    "save_model",
]

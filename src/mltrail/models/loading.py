"""What every flavor's load_model shares: fetch the folder, read MLmodel, check integrity.

>>> with open_model("runs:/5f3c.../model", flavor="sklearn") as (folder, mlmodel, conf):
...     model = read_the_file(os.path.join(folder, conf["pickled_model"]))

A model downloaded into a temporary folder is removed when the block ends
(the loaded object lives in memory); a ``dst_path`` given by the caller, or a
model that already is a local folder, is left in place.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from typing import Any, Iterator, Optional

from ..exceptions import InvalidParameterError
from .code_paths import code_on_path
from .integrity import check_model_folder, verification_enabled, verify_recorded_mlmodel
from .model import Model
from .model_info import ModelInfo
from .uri import fetch_recorded_model


def _checked_model(folder: str, verify: Optional[bool]) -> Model:
    mlmodel = Model.load(folder)
    check_model_folder(folder, mlmodel, verify)
    return mlmodel


def flavor_conf(mlmodel: Model, flavor: str, where: str) -> dict[str, Any]:
    """The MLmodel entry of ``flavor``; raise naming the flavors present when it is absent.

    >>> flavor_conf(Model.load(path), "sklearn", path)["serialization_format"]
    'cloudpickle'
    """
    conf = mlmodel.flavors.get(flavor)
    if not isinstance(conf, dict):
        hint = "load it with the flavor it was logged with"
        if flavor != "python_function":
            hint += ", or with mltrail.pyfunc.load_model"
        raise InvalidParameterError(
            f"Model at {where!r} has no {flavor!r} flavor (its MLmodel lists: {sorted(mlmodel.flavors)}); {hint}"
        )
    return conf


@contextlib.contextmanager
def open_model(
    model_uri: str,
    flavor: Optional[str] = None,
    dst_path: Optional[str] = None,
    verify: Optional[bool] = None,
) -> Iterator[tuple[str, Model, dict[str, Any]]]:
    """Yield ``(local folder, Model, flavor conf)`` for ``model_uri``, integrity checked.

    A model the store recorded (``runs:/`` of a logged model, ``models:/``)
    must first match the recorded sha256 of its MLmodel. ``verify=False``
    (or ``MLTRAIL_VERIFY_MODELS=false``) skips the hash checks; every path
    MLmodel names must stay inside the folder either way.
    See the module docstring for an example.
    """
    model_uri = os.fspath(model_uri)
    folder, temp, recorded = fetch_recorded_model(model_uri, dst_path)
    try:
        if os.path.isfile(folder) and os.path.basename(folder) == "MLmodel":
            folder = os.path.dirname(folder)
        if verification_enabled(verify):
            verify_recorded_mlmodel(folder, recorded, model_uri)
        mlmodel = _checked_model(folder, verify)
        if temp is not None and (mlmodel.flavors.get("python_function") or {}).get("artifacts"):
            temp = None  # a custom pyfunc model may read its artifacts after loading: keep them
        conf = flavor_conf(mlmodel, flavor, model_uri) if flavor else {}
        with code_on_path(folder, conf):
            yield folder, mlmodel, conf
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


def get_model_info(model_uri: str) -> ModelInfo:
    """The :class:`ModelInfo` of the model at ``model_uri`` (reads its MLmodel; nothing is unpickled).

    >>> get_model_info("runs:/5f3c.../model").signature
    """
    with open_model(model_uri, verify=False) as (_folder, mlmodel, _conf):
        return ModelInfo.from_model(mlmodel, model_uri)


__all__ = ["flavor_conf", "get_model_info", "open_model"]

"""``Model``: the MLmodel file at the top of every model folder.

MLmodel is YAML in MLflow's layout, plus ``mltrail_version`` and ``files``
(the sha256 and size of every other file in the folder)::

    artifact_path: model
    flavors:
      python_function: {loader_module: mlflow.sklearn, model_path: model.pkl, env: {...}, python_version: 3.12.3}
      sklearn: {pickled_model: model.pkl, serialization_format: cloudpickle, sklearn_version: 1.5.0}
    run_id: 5f3c...
    utc_time_created: '2026-11-22 15:00:00.000000'
    model_uuid: 2b1e...
    mltrail_version: 0.1.0
    signature: {inputs: '[...]', outputs: '[...]', params: null}
    saved_input_example_info: {artifact_path: input_example.json, type: dataframe, pandas_orient: split}
    files: {model.pkl: {sha256: ..., size: 1234}, conda.yaml: {...}, ...}

>>> m = Model.load("path/to/model")
>>> m.flavors["sklearn"]["serialization_format"]
'cloudpickle'
"""

from __future__ import annotations

import datetime
import os
import uuid
from typing import Any, Optional

from ..exceptions import InvalidParameterError, ResourceNotFoundError
from ..version import VERSION
from .integrity import MLMODEL_FILE_NAME
from .signature import ModelSignature, Schema

#: Keys written in this order (the rest follow alphabetically).
_KEY_ORDER = (
    "artifact_path", "flavors", "model_uuid", "run_id", "utc_time_created", "mltrail_version",
    "model_size_bytes", "signature", "saved_input_example_info", "metadata", "files",
)


def _yaml():
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml, loader, dumper


class Model:
    """The contents of an MLmodel file.

    >>> m = Model(artifact_path="model", run_id=run_id)
    >>> m.add_flavor("sklearn", pickled_model="model.pkl")
    >>> m.save("out/model/MLmodel")
    """

    def __init__(
        self,
        artifact_path: Optional[str] = None,
        run_id: Optional[str] = None,
        utc_time_created: Optional[str] = None,
        flavors: Optional[dict[str, dict[str, Any]]] = None,
        signature: Optional[ModelSignature] = None,
        saved_input_example_info: Optional[dict[str, Any]] = None,
        model_uuid: Optional[str] = None,
        mltrail_version: Optional[str] = VERSION,
        metadata: Optional[dict[str, Any]] = None,
        files: Optional[dict[str, dict[str, Any]]] = None,
        model_size_bytes: Optional[int] = None,
        **extra: Any,
    ) -> None:
        self.artifact_path = artifact_path
        self.run_id = run_id
        self.utc_time_created = utc_time_created or datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M:%S.%f"
        )
        self.flavors: dict[str, dict[str, Any]] = dict(flavors or {})
        self.signature = signature
        self.saved_input_example_info = saved_input_example_info
        self.model_uuid = model_uuid or uuid.uuid4().hex
        self.mltrail_version = mltrail_version
        self.metadata = metadata
        self.files = files
        self.model_size_bytes = model_size_bytes
        self._extra = extra

    # -- flavors -----------------------------------------------------------------
    def add_flavor(self, name: str, **params: Any) -> "Model":
        """Add (or replace) a flavor's configuration; returns self for chaining.

        >>> Model().add_flavor("sklearn", pickled_model="model.pkl").flavors
        {'sklearn': {'pickled_model': 'model.pkl'}}
        """
        self.flavors[name] = params
        return self

    def get_input_schema(self) -> Optional[Schema]:
        """The signature's input schema, or None.

        >>> Model.load(path).get_input_schema().input_names()
        ['sepal_length', 'sepal_width', 'petal_length', 'petal_width']
        """
        return self.signature.inputs if self.signature else None

    def get_output_schema(self) -> Optional[Schema]:
        """The signature's output schema, or None (``Model.load(path).get_output_schema()``)."""
        return self.signature.outputs if self.signature else None

    def load_input_example(self, path: str) -> Any:
        """The saved input example of the model folder at ``path`` (None when there is none).

        >>> Model.load(path).load_input_example(path).head(2)
        """
        from .input_example import load_input_example

        return load_input_example(path, self.saved_input_example_info)

    # -- (de)serialisation -------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The MLmodel mapping (``files`` last), e.g. ``Model.load(path).to_dict()["run_id"]``."""
        d: dict[str, Any] = {
            "artifact_path": self.artifact_path,
            "flavors": self.flavors,
            "model_uuid": self.model_uuid,
            "run_id": self.run_id,
            "utc_time_created": self.utc_time_created,
            "mltrail_version": self.mltrail_version,
        }
        if self.model_size_bytes is not None:
            d["model_size_bytes"] = self.model_size_bytes
        if self.signature is not None:
            d["signature"] = self.signature.to_dict()
        if self.saved_input_example_info is not None:
            d["saved_input_example_info"] = self.saved_input_example_info
        if self.metadata is not None:
            d["metadata"] = self.metadata
        d.update(self._extra)
        if self.files is not None:
            d["files"] = self.files
        return {k: v for k, v in d.items() if v is not None or k in ("run_id", "artifact_path")}

    def to_yaml(self) -> str:
        """The MLmodel text: ``print(Model.load(path).to_yaml())``."""
        yaml, _, dumper = _yaml()
        return yaml.dump(self.to_dict(), Dumper=dumper, default_flow_style=False, sort_keys=False)

    def save(self, path: str) -> None:
        """Write MLmodel to ``path`` (a file path, or a folder to write ``MLmodel`` in).

        >>> Model(run_id=run_id).add_flavor("custom", data="weights.bin").save("out/model")
        """
        if os.path.isdir(path):
            path = os.path.join(path, MLMODEL_FILE_NAME)
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.to_yaml())

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Model":
        """Build from an MLmodel mapping: ``Model.from_dict(yaml.safe_load(text))``."""
        d = dict(d)
        sig = d.pop("signature", None)
        try:
            signature = ModelSignature.from_dict(sig) if isinstance(sig, dict) else None
        except (ValueError, KeyError, TypeError, AttributeError) as e:  # hand-edited or corrupt JSON
            raise InvalidParameterError(
                f"MLmodel's signature is not valid ({type(e).__name__}: {e}): {sig!r}"
            ) from None
        flavors = d.pop("flavors", None)
        if not isinstance(flavors, dict) or not flavors:
            raise InvalidParameterError("MLmodel has no 'flavors' mapping: it does not describe a model")
        # MLflow writes mlflow_version; keep it as an extra key.
        return cls(flavors=flavors, signature=signature, **d)

    @classmethod
    def load(cls, path: str) -> "Model":
        """Read an MLmodel file, or the MLmodel of a model folder.

        >>> Model.load("mltrail-artifacts/1/<run_id>/artifacts/model").flavors.keys()
        dict_keys(['python_function', 'sklearn'])
        """
        path = os.fspath(path)
        if os.path.isdir(path):
            path = os.path.join(path, MLMODEL_FILE_NAME)
        if not os.path.isfile(path):
            raise ResourceNotFoundError(
                f"No MLmodel file at {path!r}: the path is not a model folder (a model folder holds an MLmodel file)"
            )
        yaml, loader, _ = _yaml()
        with open(path, encoding="utf-8") as f:
            try:
                data = yaml.load(f, Loader=loader)
            except yaml.YAMLError as e:
                raise InvalidParameterError(f"MLmodel file {path!r} is not valid YAML: {e}") from None
        if not isinstance(data, dict):
            raise InvalidParameterError(f"MLmodel file {path!r} does not hold a mapping")
        return cls.from_dict(data)

    def to_json(self) -> str:
        """The MLmodel contents as JSON: ``json.loads(Model.load(path).to_json())["flavors"]``."""
        import json

        return json.dumps(self.to_dict())

    def get_serving_input(self, path: str) -> Optional[str]:
        """The saved serving input of the model folder at ``path`` (a JSON string), or None.

        Reads ``serving_input_example.json`` when the model has one, else
        builds it from the input example, as MLflow 3 does.

        >>> Model.load(path).get_serving_input(path)
        '{\n  "dataframe_split": ...'
        """
        info = self.saved_input_example_info or {}
        name = info.get("serving_input_path")
        if name:
            with open(os.path.join(path, name), encoding="utf-8") as f:
                return f.read()
        if not info:
            return None
        from .input_example import convert_input_example_to_serving_input

        return convert_input_example_to_serving_input(self.load_input_example(path))

    def get_model_info(self) -> Any:
        """The :class:`~mltrail.models.ModelInfo` of this model (``runs:/`` URI when it was logged to a run).

        >>> Model.load(path).get_model_info().run_id
        """
        from .model_info import ModelInfo

        uri = f"runs:/{self.run_id}/{self.artifact_path}" if self.run_id and self.artifact_path else ""
        return ModelInfo.from_model(self, uri)

    @classmethod
    def log(cls, artifact_path: str, flavor: Any, registered_model_name: Optional[str] = None, **kwargs: Any) -> Any:
        """Log a model with ``flavor`` (a module with ``log_model``, such as ``mltrail.sklearn``), as MLflow's ``Model.log``.

        ``kwargs`` go to the flavor's ``log_model`` (its model argument by name).

        >>> Model.log("model", mltrail.sklearn, sk_model=pipe)
        """
        log_model = getattr(flavor, "log_model", None)
        if not callable(log_model):
            raise InvalidParameterError(f"flavor {flavor!r} has no log_model function")
        return log_model(artifact_path=artifact_path, registered_model_name=registered_model_name, **kwargs)

    def __repr__(self) -> str:
        return f"Model(artifact_path={self.artifact_path!r}, run_id={self.run_id!r}, flavors={list(self.flavors)})"


__all__ = ["Model"]

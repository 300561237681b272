"""``ModelInfo``: what ``log_model`` returns (MLflow's attribute names).

>>> info = mltrail.sklearn.log_model(pipe, artifact_path="model")
>>> info.model_uri
'runs:/5f3c.../model'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from .model import Model
from .signature import ModelSignature


@dataclass
class ModelInfo:
    """Metadata of a logged model; ``model_uri`` loads it again.

    >>> mltrail.pyfunc.load_model(info.model_uri)
    """

    artifact_path: Optional[str]
    flavors: dict[str, dict[str, Any]]
    model_uri: str
    model_uuid: str
    run_id: Optional[str]
    saved_input_example_info: Optional[dict[str, Any]]
    signature: Optional[ModelSignature]
    utc_time_created: str
    mltrail_version: Optional[str]
    metadata: Optional[dict[str, Any]] = None
    registered_model_version: Optional[str] = None

    @property
    def signature_dict(self) -> Optional[dict[str, Any]]:
        """The signature in MLmodel's form (JSON strings), or None."""
        return self.signature.to_dict() if self.signature else None

    @classmethod
    def from_model(cls, model: Model, model_uri: str) -> "ModelInfo":
        """The info of ``model`` reachable at ``model_uri``."""
        return cls(
            artifact_path=model.artifact_path,
            flavors=model.flavors,
            model_uri=model_uri,
            model_uuid=model.model_uuid,
            run_id=model.run_id,
            saved_input_example_info=model.saved_input_example_info,
            signature=model.signature,
            utc_time_created=model.utc_time_created,
            mltrail_version=model.mltrail_version,
            metadata=model.metadata,
        )


def get_model_info(model_uri: str) -> ModelInfo:
    """The :class:`ModelInfo` of the model at ``model_uri`` (reads its MLmodel; nothing is unpickled).

    >>> get_model_info("runs:/5f3c.../model").signature
    """
    from .loading import open_model

    with open_model(model_uri, verify=False) as (_folder, mlmodel, _conf):
        return ModelInfo.from_model(mlmodel, model_uri)


__all__ = ["ModelInfo", "get_model_info"]

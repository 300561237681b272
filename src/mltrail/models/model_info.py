"""``ModelInfo``: what ``log_model`` returns (MLflow's attribute names).

>>> info = mltrail.sklearn.log_model(pipe, name="model")
>>> info.model_uri, info.model_id
('models:/m-6c0f...', 'm-6c0f...')

As in MLflow 3, a logged model's info also carries its LoggedModel
(``logged_model``) and what that holds: ``model_id``, ``name``, ``params``,
``tags``, ``metrics``, ``creation_timestamp``, ``model_type``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from .signature import ModelSignature

if TYPE_CHECKING:
    from ..entities import LoggedModel, Metric


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
    logged_model: Optional["LoggedModel"] = None
    env_vars: Optional[list[str]] = None

    @property
    def model_id(self) -> Optional[str]:
        """The logged model's id (``m-...``), or None for a model that is no LoggedModel."""
        return self.logged_model.model_id if self.logged_model else None

    @property
    def name(self) -> Optional[str]:
        """The logged model's name (``log_model(name=...)``)."""
        return self.logged_model.name if self.logged_model else None

    @property
    def params(self) -> dict[str, str]:
        """The logged model's params."""
        return dict(self.logged_model.params) if self.logged_model else {}

    @property
    def tags(self) -> dict[str, str]:
        """The logged model's tags."""
        return dict(self.logged_model.tags) if self.logged_model else {}

    @property
    def metrics(self) -> Optional[list["Metric"]]:
        """The logged model's metrics at the time it was logged."""
        return self.logged_model.metrics if self.logged_model else None

    @property
    def creation_timestamp(self) -> Optional[int]:
        """When the logged model was created (epoch milliseconds)."""
        return self.logged_model.creation_timestamp if self.logged_model else None

    @property
    def model_type(self) -> Optional[str]:
        """The logged model's ``model_type``."""
        return self.logged_model.model_type if self.logged_model else None

    @property
    def mlflow_version(self) -> Optional[str]:
        """MLflow's field name: the version of the tool that saved the model (mltrail's here)."""
        return self.mltrail_version

    @property
    def signature_dict(self) -> Optional[dict[str, Any]]:
        """The signature in MLmodel's form (JSON strings), or None."""
        return self.signature.to_dict() if self.signature else None

    @classmethod
    def from_model(cls, model: Any, model_uri: str, logged_model: Optional["LoggedModel"] = None) -> "ModelInfo":
        """The info of ``model`` (a :class:`~mltrail.models.Model`) reachable at ``model_uri`` (and its LoggedModel when it is one)."""
        return cls(
            logged_model=logged_model,
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


__all__ = ["ModelInfo"]

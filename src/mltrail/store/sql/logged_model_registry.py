"""Which logged model a registered version came from, and the sha256 of its MLmodel file
(columns ``model_id`` and ``mlmodel_sha256`` of ``model_versions``, revision ``0005_logged_models``).

Mixed into :class:`~mltrail.store.sql.registry_store.SqlRegistryStore`::

    store.record_model_version_origin("churn", 3, "m-6c0f...", digest)
    store.get_model_version_mlmodel_sha256("churn", 3)      # digest
"""

from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import select, update

from ...exceptions import InvalidParameterError
from ..registry_validation import validate_version
from .logged_model_search import check_sha256
from .registry_rows import model_versions
from .registry_versions import require_version


class ModelVersionOriginOps:
    """``record_model_version_origin`` / ``get_model_version_mlmodel_sha256`` on the SQL registry."""

    def record_model_version_origin(
        self, name: str, version: Any, model_id: Optional[str], mlmodel_sha256: Optional[str]
    ) -> None:
        number = validate_version(version)
        if model_id is not None and (not isinstance(model_id, str) or not model_id.startswith("m-") or len(model_id) > 34):
            raise InvalidParameterError(f"Invalid logged model id {model_id!r}: expected 'm-' and 32 hex characters")
        digest = check_sha256(mlmodel_sha256) if mlmodel_sha256 is not None else None
        with self._write() as conn:  # type: ignore[attr-defined]
            require_version(conn, name, number)
            conn.execute(
                update(model_versions)
                .where(model_versions.c.name == name, model_versions.c.version == number)
                .values(model_id=model_id, mlmodel_sha256=digest)
            )

    def get_model_version_mlmodel_sha256(self, name: str, version: Any) -> Optional[str]:
        number = validate_version(version)
        with self._read() as conn:  # type: ignore[attr-defined]
            require_version(conn, name, number)
            return conn.execute(
                select(model_versions.c.mlmodel_sha256).where(
                    model_versions.c.name == name, model_versions.c.version == number
                )
            ).scalar()

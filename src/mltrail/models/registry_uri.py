"""Resolving ``models:/`` URIs through the model registry (installed in :mod:`mltrail.models.uri`).

=================================  =================================================
URI                                version it loads
=================================  =================================================
``models:/<name>/3``               version 3
``models:/<name>/Staging``         the newest version in that stage (any case)
``models:/<name>/latest``          the newest version, whatever its stage
``models:/<name>@champion``        the version the alias points at
=================================  =================================================

The answer is the version's download URI: its immutable copy in the
registry's storage. A version whose registration is pending or failed is
refused with a clear error.

>>> resolve_registry_uri(parse_models_uri("models:/nyc-taxi-regressor@champion"))
'/work/mltrail-artifacts/models/nyc-taxi-regressor/4'
"""

from __future__ import annotations

from typing import Optional

from ..entities import ModelVersion, ModelVersionStage, ModelVersionStatus
from ..exceptions import InvalidParameterError, InvalidStateError, ResourceNotFoundError
from ..client.models_uri import ModelsUri


def _describe(ref: ModelsUri) -> str:
    if ref.alias is not None:
        return f"models:/{ref.name}@{ref.alias}"
    return f"models:/{ref.name}/{ref.version or ref.stage or 'latest'}"


def find_registry_version(ref: ModelsUri) -> ModelVersion:
    """The registered version a parsed ``models:/`` URI names (see the module docstring)."""
    from ..client import Client

    client = Client()
    if ref.alias is not None:
        return client.get_model_version_by_alias(ref.name, ref.alias)
    if ref.version is not None:
        return client.get_model_version(ref.name, ref.version)
    if ref.stage is not None:
        try:
            stage = ModelVersionStage.canonical(ref.stage)
        except InvalidParameterError:
            raise InvalidParameterError(
                f"Model URI {_describe(ref)!r}: {ref.stage!r} is neither a version number, 'latest', "
                f"nor a stage ({', '.join(ModelVersionStage.ALL)}, any case)"
            ) from None
        found = client.get_latest_versions(ref.name, [stage])
        if not found:
            raise ResourceNotFoundError(
                f"Model URI {_describe(ref)!r}: registered model {ref.name!r} has no version in stage {stage!r}"
            )
        return found[0]
    found = client.get_latest_versions(ref.name)
    if not found:
        raise ResourceNotFoundError(f"Model URI {_describe(ref)!r}: registered model {ref.name!r} has no versions")
    return max(found, key=lambda v: int(v.version))


def resolve_registry_uri(ref: ModelsUri) -> str:
    """Where the files of the version named by ``ref`` are (its download URI)."""
    return resolve_registry_record(ref)[0]


def resolve_registry_record(ref: ModelsUri) -> tuple[str, Optional[str]]:
    """``(download URI, recorded sha256 of its MLmodel or None)`` of the version named by ``ref``.

    >>> resolve_registry_record(parse_models_uri("models:/churn/3"))
    ('/work/mltrail-artifacts/models/churn/3', '9f86d08...')
    """
    from ..client import Client

    version = find_registry_version(ref)
    if version.status != ModelVersionStatus.READY:
        raise InvalidStateError(
            f"Model URI {_describe(ref)!r}: version {version.version} is {version.status}"
            f"{' (' + version.status_message + ')' if version.status_message else ''}; only READY versions load"
        )
    client = Client()
    return (
        client.get_model_version_download_uri(version.name, version.version),
        client.get_model_version_mlmodel_sha256(version.name, version.version),
    )


__all__ = ["find_registry_version", "resolve_registry_record", "resolve_registry_uri"]

"""Model-version endpoints: ``model-versions/create``, ``get``, ``update``, ``delete``, ``search``,
``transition-stage``, ``get-download-uri``, ``set-tag``, ``delete-tag`` (and mltrail's ``stage-history`` and
``mlmodel-sha256``).

Creating a version copies the model into the registry's storage on the
server, so a client needs no access to the artifact store; the server copies
only from the sources :mod:`mltrail.server.model_sources` allows (MLflow's rules).
"""

from __future__ import annotations

from typing import Any

from ...store.registry_base import SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT
from ...store.rest.wire import model_version_to_json
from ..model_sources import check_model_version_source
from ._common import paged, tag_dict

Req = dict[str, Any]


def _version(mv) -> Req:
    return {"model_version": model_version_to_json(mv)}


def create(ctx, r: Req) -> Req:
    from ...client import registry_storage

    source = registry_storage.checked_source(r["source"])
    check_model_version_source(ctx.client, source, r.get("run_id") or None, r.get("model_id") or None,
                               serves_artifacts=ctx.artifacts_destination is not None)

    if source.startswith("models:") and not registry_storage.is_logged_model_uri(source):
        # copy_model_version: copy that registered version's files
        from ...models.uri import parse_models_uri

        src = ctx.client._find_version(parse_models_uri(source), source)
        mv = registry_storage.register_version(
            ctx.client, r["name"], ctx.client.get_model_version_download_uri(src.name, src.version),
            run_id=r.get("run_id") or src.run_id, tags=tag_dict(r.get("tags")) or None,
            run_link=r.get("run_link") or src.run_link, description=r.get("description"),
            recorded_source=source,
        )
        return _version(mv)
    mv = registry_storage.register_version(  # the client notes the version on its logged model, as MLflow's does
        ctx.client, r["name"], source, run_id=r.get("run_id") or None, tags=tag_dict(r.get("tags")) or None,
        run_link=r.get("run_link") or None, description=r.get("description"), note_on_logged_model=False,
    )
    return _version(mv)


def get(ctx, r: Req) -> Req:
    return _version(ctx.registry_store.get_model_version(r["name"], r["version"]))


def update(ctx, r: Req) -> Req:
    return _version(ctx.registry_store.update_model_version(r["name"], r["version"], r.get("description")))


def delete(ctx, r: Req) -> Req:
    ctx.client.delete_model_version(r["name"], r["version"])  # removes the registered copy too
    return {}


def search(ctx, r: Req) -> Req:
    page = ctx.registry_store.search_model_versions(
        r.get("filter") or None,
        r.get("max_results", SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT),
        r.get("order_by") or None,
        r.get("page_token") or None,
    )
    return paged("model_versions", [model_version_to_json(v) for v in page], page.token)


def transition_stage(ctx, r: Req) -> Req:
    mv = ctx.registry_store.transition_model_version_stage(
        r["name"], r["version"], r["stage"], r.get("archive_existing_versions", False), r.get("user_id", "")
    )
    return _version(mv)


def get_download_uri(ctx, r: Req) -> Req:
    return {"artifact_uri": ctx.registry_store.get_model_version_download_uri(r["name"], r["version"])}


def set_tag(ctx, r: Req) -> Req:
    ctx.registry_store.set_model_version_tag(r["name"], r["version"], r["key"], r.get("value", ""))
    return {}


def delete_tag(ctx, r: Req) -> Req:
    ctx.registry_store.delete_model_version_tag(r["name"], r["version"], r["key"])
    return {}


def stage_history(ctx, r: Req) -> Req:
    history = ctx.registry_store.get_model_version_stage_history(r["name"], r["version"])
    return {"transitions": [
        {"name": t.name, "version": t.version, "from_stage": t.from_stage, "to_stage": t.to_stage,
         "user_id": t.user_id, "timestamp": t.timestamp} for t in history
    ]}


def mlmodel_sha256(ctx, r: Req) -> Req:
    """The sha256 the server recorded for the version's MLmodel when it copied it (absent: none recorded)."""
    digest = ctx.registry_store.get_model_version_mlmodel_sha256(r["name"], r["version"])
    return {} if digest is None else {"mlmodel_sha256": digest}

"""THE route table of the REST API: one :class:`Endpoint` per (method, path).

Routes, request parsing, error mapping and ``/openapi.json`` are all derived
from :data:`ENDPOINTS` (see :mod:`mltrail.server.protocol`). Paths are
relative to ``/api/2.0/mlflow/`` (also served under ``/ajax-api/2.0/mlflow/``)
and match MLflow's ``service.proto`` / ``model_registry.proto``::

    routes = build_routes(ENDPOINTS, context_of)
"""

from __future__ import annotations

from .auth.access import (
    ADMIN,
    ANY_USER,
    EDIT,
    EXPERIMENT_IN_ANSWER,
    MANAGE,
    READ,
    SELF,
    SOURCE,
    creates,
    filters_response,
    grant,
    narrows,
    on_experiment,
    on_logged_model,
    on_model,
    on_run,
    on_runs,
)
from .handlers import experiments, logged_models, metrics, model_versions, registered_models, runs, users
from .protocol import BOOL, DOUBLE, INT64, MESSAGE, STRING, Endpoint, Field

# -- shared request shapes -------------------------------------------------------------
_KV = (Field("key", STRING, required=True), Field("value", STRING))
TAGS = Field("tags", MESSAGE, repeated=True, fields=_KV)
RUN_ID = Field("run_id", STRING, required=True, aliases=("run_uuid",))
EXPERIMENT_ID = Field("experiment_id", STRING, required=True)
NAME = Field("name", STRING, required=True)
VERSION = Field("version", STRING, required=True)
KEY = Field("key", STRING, required=True)
VALUE = Field("value", STRING)
#: mltrail extension field of runs/create and runs/update: the heartbeating process that runs the run
OWNER = Field("mltrail_owner_id", STRING)
PAGE = (Field("max_results", INT64), Field("page_token", STRING), Field("order_by", STRING, repeated=True))
_METRIC = (
    Field("key", STRING, required=True),
    Field("value", DOUBLE, required=True),
    Field("timestamp", INT64, required=True),
    Field("step", INT64),
)
_DATASET = (
    Field("name", STRING, required=True),
    Field("digest", STRING, required=True),
    Field("source_type", STRING, required=True),
    Field("source", STRING, required=True),
    Field("schema", STRING),
    Field("profile", STRING),
)
_DATASET_INPUT = (TAGS, Field("dataset", MESSAGE, required=True, fields=_DATASET))
_DATASETS = Field("datasets", MESSAGE, repeated=True, fields=_DATASET_INPUT)
#: log-batch's fields, then the dataset inputs of mltrail's one-transaction extensions
_BATCH = (RUN_ID, Field("metrics", MESSAGE, repeated=True, fields=_METRIC),
          Field("params", MESSAGE, repeated=True, fields=_KV), TAGS, _DATASETS)

_EXPERIMENTS = filters_response("experiments", "experiment")
USERNAME = Field("username", STRING, required=True)
PASSWORD = Field("password", STRING, required=True)
PERMISSION = Field("permission", STRING, required=True)

E = Endpoint
ENDPOINTS: tuple[Endpoint, ...] = (
    # experiments
    E("POST", "experiments/create", (NAME, Field("artifact_location"), TAGS), experiments.create, "Create an experiment", access=creates("experiment")),
    E("GET", "experiments/get", (EXPERIMENT_ID,), experiments.get, "Get an experiment by id", access=on_experiment(READ)),
    E("GET", "experiments/get-by-name", (Field("experiment_name", required=True),), experiments.get_by_name,
      "Get an experiment by name", access=EXPERIMENT_IN_ANSWER),
    E("POST", "experiments/search", (*PAGE, Field("filter"), Field("view_type")), experiments.search,
      "Search experiments", access=_EXPERIMENTS),
    E("GET", "experiments/search", (*PAGE, Field("filter"), Field("view_type")), experiments.search,
      "Search experiments", access=_EXPERIMENTS),
    E("POST", "experiments/update", (EXPERIMENT_ID, Field("new_name")), experiments.update, "Rename an experiment", access=on_experiment(EDIT)),
    E("POST", "experiments/delete", (EXPERIMENT_ID,), experiments.delete, "Delete an experiment (soft)", access=on_experiment(MANAGE)),
    E("POST", "experiments/restore", (EXPERIMENT_ID,), experiments.restore, "Restore a deleted experiment", access=on_experiment(MANAGE)),
    E("POST", "experiments/set-experiment-tag", (EXPERIMENT_ID, KEY, VALUE), experiments.set_tag,
      "Set an experiment tag", access=on_experiment(EDIT)),
    E("POST", "experiments/delete-experiment-tag", (EXPERIMENT_ID, KEY), experiments.delete_tag,
      "Delete an experiment tag", access=on_experiment(EDIT)),
    # runs
    E("POST", "runs/create",
      (Field("experiment_id"), Field("user_id"), Field("run_name"), Field("start_time", INT64), TAGS, OWNER),
      runs.create, "Create a run", access=on_experiment(EDIT)),
    E("GET", "runs/get", (RUN_ID,), runs.get, "Get a run", access=on_run(READ)),
    E("POST", "runs/update", (RUN_ID, Field("status"), Field("end_time", INT64), Field("run_name"), OWNER), runs.update,
      "Update a run's status, end time or name", access=on_run(EDIT)),
    E("POST", "runs/delete", (RUN_ID,), runs.delete, "Delete a run (soft)", access=on_run(MANAGE)),
    E("POST", "runs/restore", (RUN_ID,), runs.restore, "Restore a deleted run", access=on_run(MANAGE)),
    E("POST", "runs/search",
      (Field("experiment_ids", repeated=True), Field("filter"), Field("run_view_type"), *PAGE),
      runs.search, "Search runs", access=narrows("runs")),
    E("POST", "runs/log-metric", (RUN_ID, *_METRIC), runs.log_metric, "Log a metric value", access=on_run(EDIT)),
    E("POST", "runs/log-parameter", (RUN_ID, KEY, VALUE), runs.log_param, "Log a parameter", access=on_run(EDIT)),
    E("POST", "runs/set-tag", (RUN_ID, KEY, VALUE), runs.set_tag, "Set a run tag", access=on_run(EDIT)),
    E("POST", "runs/delete-tag", (RUN_ID, KEY), runs.delete_tag, "Delete a run tag", access=on_run(EDIT)),
    E("POST", "runs/log-batch", _BATCH[:4], runs.log_batch, "Log metrics, params and tags in one transaction", access=on_run(EDIT)),
    E("POST", "runs/log-inputs", (RUN_ID, _DATASETS),
      runs.log_inputs, "Log dataset inputs of a run", access=on_run(EDIT)),
    # mltrail extensions (MLflow has no such paths): one request, one transaction for what
    # autologging writes at once; store.rest falls back to MLflow's calls when a server answers 404
    E("POST", "runs/log-batch-inputs", _BATCH, runs.log_batch,
      "Log metrics, params, tags and dataset inputs in one transaction (mltrail extension)", access=on_run(EDIT)),
    E("POST", "runs/finish", (*_BATCH, Field("status", required=True), Field("end_time", INT64)), runs.finish,
      "Log a last batch with dataset inputs and end the run, in one transaction (mltrail extension)", access=on_run(EDIT)),
    E("POST", "runs/heartbeat-owner",
      (Field("owner_id", required=True), Field("timeout_ms", INT64, required=True), Field("host"), Field("pid", INT64)),
      runs.heartbeat_owner,
      "A logging process is alive: its RUNNING runs are reported KILLED once it stops (mltrail extension)",
      access=ANY_USER),
    E("POST", "runs/release-owner", (Field("owner_id", required=True),), runs.release_owner,
      "A logging process ended cleanly: its runs still RUNNING stay so (mltrail extension)", access=ANY_USER),
    # metrics
    E("GET", "metrics/get-history",
      (RUN_ID, Field("metric_key", required=True), Field("max_results", INT64), Field("page_token")),
      metrics.get_history, "Every value of a metric", access=on_run(READ)),
    E("GET", "metrics/get-history-bulk-interval",
      (Field("run_ids", repeated=True, required=True), Field("metric_key", required=True),
       Field("start_step", INT64), Field("end_step", INT64), Field("max_results", INT64)),
      metrics.get_history_bulk_interval, "Sampled histories of one metric for several runs", access=on_runs(READ)),
    # registered models
    E("POST", "registered-models/create", (NAME, TAGS, Field("description")), registered_models.create,
      "Create a registered model", access=creates("registered_model")),
    E("GET", "registered-models/get", (NAME,), registered_models.get, "Get a registered model", access=on_model(READ)),
    E("PATCH", "registered-models/update", (NAME, Field("description")), registered_models.update,
      "Update a registered model's description", access=on_model(EDIT)),
    E("POST", "registered-models/rename", (NAME, Field("new_name", required=True)), registered_models.rename,
      "Rename a registered model", access=on_model(EDIT)),
    E("DELETE", "registered-models/delete", (NAME,), registered_models.delete, "Delete a registered model", access=on_model(MANAGE)),
    E("GET", "registered-models/search", (Field("filter"), *PAGE), registered_models.search,
      "Search registered models", access=filters_response("registered_models", "registered_model")),
    E("POST", "registered-models/get-latest-versions", (NAME, Field("stages", repeated=True)),
      registered_models.get_latest_versions, "Latest version per stage", access=on_model(READ)),
    E("GET", "registered-models/get-latest-versions", (NAME, Field("stages", repeated=True)),
      registered_models.get_latest_versions, "Latest version per stage", access=on_model(READ)),
    E("POST", "registered-models/set-tag", (NAME, KEY, VALUE), registered_models.set_tag,
      "Set a registered model tag", access=on_model(EDIT)),
    E("DELETE", "registered-models/delete-tag", (NAME, KEY), registered_models.delete_tag,
      "Delete a registered model tag", access=on_model(EDIT)),
    E("POST", "registered-models/alias", (NAME, Field("alias", required=True), VERSION),
      registered_models.set_alias, "Point an alias at a version", access=on_model(EDIT)),
    E("DELETE", "registered-models/alias", (NAME, Field("alias", required=True)), registered_models.delete_alias,
      "Delete an alias", access=on_model(EDIT)),
    E("GET", "registered-models/alias", (NAME, Field("alias", required=True)), registered_models.get_by_alias,
      "The version an alias points at", access=on_model(READ)),
    # model versions
    E("POST", "model-versions/create",
      (NAME, Field("source", required=True), Field("run_id"), TAGS, Field("run_link"), Field("description"),
       Field("model_id")),
      model_versions.create, "Register a model version (copied into the registry's storage)", access=on_model(EDIT, "name", on_run(READ), SOURCE)),
    E("GET", "model-versions/get", (NAME, VERSION), model_versions.get, "Get a model version", access=on_model(READ)),
    E("PATCH", "model-versions/update", (NAME, VERSION, Field("description")), model_versions.update,
      "Update a model version's description", access=on_model(EDIT)),
    E("DELETE", "model-versions/delete", (NAME, VERSION), model_versions.delete, "Delete a model version", access=on_model(MANAGE)),
    E("GET", "model-versions/search", (Field("filter"), *PAGE), model_versions.search, "Search model versions", access=filters_response("model_versions", "registered_model")),
    E("POST", "model-versions/transition-stage",
      (NAME, VERSION, Field("stage", required=True), Field("archive_existing_versions", BOOL), Field("user_id")),
      model_versions.transition_stage, "Move a version to a stage", access=on_model(EDIT)),
    E("GET", "model-versions/get-download-uri", (NAME, VERSION), model_versions.get_download_uri,
      "Where a version's files are", access=on_model(READ)),
    E("POST", "model-versions/set-tag", (NAME, VERSION, KEY, VALUE), model_versions.set_tag,
      "Set a model version tag", access=on_model(EDIT)),
    E("DELETE", "model-versions/delete-tag", (NAME, VERSION, KEY), model_versions.delete_tag,
      "Delete a model version tag", access=on_model(EDIT)),
    # MLflow 3 logged models (search before {model_id}: the static path must win)
    E("POST", "logged-models/search",
      (Field("experiment_ids", repeated=True), Field("filter"), Field("max_results", INT64), Field("page_token"),
       Field("datasets", MESSAGE, repeated=True, fields=(Field("dataset_name", required=True), Field("dataset_digest"))),
       Field("order_by", MESSAGE, repeated=True, fields=(
           Field("field_name", required=True), Field("ascending", BOOL), Field("dataset_name"),
           Field("dataset_digest")))),
      logged_models.search, "Search logged models", access=narrows("models")),
    E("POST", "logged-models",
      (EXPERIMENT_ID, Field("name"), Field("model_type"), Field("source_run_id"),
       Field("params", MESSAGE, repeated=True, fields=_KV), TAGS),
      logged_models.create, "Create a logged model (PENDING)", access=on_experiment(EDIT)),
    E("GET", "logged-models/{model_id}", (), logged_models.get, "Get a logged model", access=on_logged_model(READ)),
    E("PATCH", "logged-models/{model_id}", (Field("status"), Field("mltrail_mlmodel_sha256")),
      logged_models.finalize, "Finalize a logged model (READY or UPLOAD_FAILED)", access=on_logged_model(EDIT)),
    E("DELETE", "logged-models/{model_id}", (), logged_models.delete, "Delete a logged model", access=on_logged_model(MANAGE)),
    E("PATCH", "logged-models/{model_id}/tags", (TAGS,), logged_models.set_tags, "Set logged model tags", access=on_logged_model(EDIT)),
    E("DELETE", "logged-models/{model_id}/tags/{tag_key}", (), logged_models.delete_tag,
      "Delete a logged model tag", access=on_logged_model(EDIT)),
    E("POST", "logged-models/{model_id}/params", (Field("params", MESSAGE, repeated=True, fields=_KV),),
      logged_models.log_params, "Log logged model params", access=on_logged_model(EDIT)),
    E("POST", "runs/outputs",
      (RUN_ID, Field("models", MESSAGE, repeated=True, fields=(Field("model_id", required=True), Field("step", INT64)))),
      logged_models.log_outputs, "Record the models a run logged", access=on_run(EDIT)),
    # mltrail's extension (MLflow OSS has no REST route for it)
    E("GET", "model-versions/stage-history", (NAME, VERSION), model_versions.stage_history,
      "Every stage transition of a version (mltrail extension)", access=on_model(READ)),
    E("GET", "model-versions/mlmodel-sha256", (NAME, VERSION), model_versions.mlmodel_sha256,
      "The sha256 recorded for a version's MLmodel file, checked when it is loaded (mltrail extension)",
      access=on_model(READ)),
    # users and permissions (mltrail server --auth; MLflow's basic-auth paths)
    E("POST", "users/create", (USERNAME, PASSWORD), users.create_user, "Create a user (admins)", access=ADMIN),
    E("GET", "users/get", (USERNAME,), users.get_user, "A user and their permissions", access=SELF),
    E("PATCH", "users/update-password", (USERNAME, PASSWORD), users.update_password,
      "Change a user's password (their own, or any for admins)", access=SELF),
    E("PATCH", "users/update-admin", (USERNAME, Field("is_admin", BOOL, required=True)), users.update_admin,
      "Make a user an administrator or not (admins)", access=ADMIN),
    E("DELETE", "users/delete", (USERNAME,), users.delete_user, "Delete a user (admins)", access=ADMIN),
    E("POST", "users/tokens/create",
      (Field("username"), Field("name", required=True), Field("expires_in_seconds", INT64)), users.create_token,
      "Create an API token, shown once (mltrail extension)", access=SELF),
    E("DELETE", "users/tokens/delete", (Field("username"), Field("name", required=True)), users.delete_token,
      "Revoke an API token (mltrail extension)", access=SELF),
    E("POST", "experiments/permissions/create", (EXPERIMENT_ID, USERNAME, PERMISSION),
      users.create_experiment_permission, "Grant a permission on an experiment",
      access=grant("experiment", "experiment_id")),
    E("GET", "experiments/permissions/get", (EXPERIMENT_ID, USERNAME), users.get_experiment_permission,
      "A user's permission on an experiment", access=on_experiment(MANAGE)),
    E("PATCH", "experiments/permissions/update", (EXPERIMENT_ID, USERNAME, PERMISSION),
      users.update_experiment_permission, "Change a permission on an experiment",
      access=grant("experiment", "experiment_id")),
    E("DELETE", "experiments/permissions/delete", (EXPERIMENT_ID, USERNAME), users.delete_experiment_permission,
      "Revoke a permission on an experiment", access=grant("experiment", "experiment_id")),
    E("POST", "registered-models/permissions/create", (NAME, USERNAME, PERMISSION), users.create_model_permission,
      "Grant a permission on a registered model", access=grant("registered_model", "name")),
    E("GET", "registered-models/permissions/get", (NAME, USERNAME), users.get_model_permission,
      "A user's permission on a registered model", access=on_model(MANAGE)),
    E("PATCH", "registered-models/permissions/update", (NAME, USERNAME, PERMISSION), users.update_model_permission,
      "Change a permission on a registered model", access=grant("registered_model", "name")),
    E("DELETE", "registered-models/permissions/delete", (NAME, USERNAME), users.delete_model_permission,
      "Revoke a permission on a registered model", access=grant("registered_model", "name")),
)

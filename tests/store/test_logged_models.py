"""MLflow 3 logged models in the SQL store: create, read, search, finalize, tags, params, metrics, outputs."""

from __future__ import annotations

import math
import re

import pytest

from mltrail.entities import LoggedModelOutput, LoggedModelStatus, Metric
from mltrail.exceptions import InvalidParameterError, ResourceNotFoundError
from mltrail.store.sql import SqlTrackingStore


@pytest.fixture
def store(store_uri, tmp_path):
    s = SqlTrackingStore(store_uri, artifact_root=str(tmp_path / "artifacts"))
    yield s
    s.close()


def test_create_get_and_finalize_keep_every_field(store, tmp_path):
    exp = store.create_experiment("e")
    run = store.create_run(exp, "ana", None)
    model = store.create_logged_model(
        exp, name="clf", source_run_id=run.info.run_id, tags={"team": "growth"}, params={"alpha": 0.5},
        model_type="classifier",
    )
    assert re.fullmatch(r"m-[0-9a-f]{32}", model.model_id)
    assert model.artifact_location == f"{tmp_path / 'artifacts'}/{exp}/models/{model.model_id}/artifacts"
    assert model.status is LoggedModelStatus.PENDING
    got = store.get_logged_model(model.model_id)
    assert (got.name, got.experiment_id, got.source_run_id, got.model_type) == ("clf", exp, run.info.run_id, "classifier")
    assert got.tags == {"team": "growth"} and got.params == {"alpha": "0.5"} and got.metrics == []
    assert got.model_uri == f"models:/{model.model_id}"
    digest = "ab" * 32
    done = store.finalize_logged_model(model.model_id, "ready", mlmodel_sha256=digest)
    assert done.status is LoggedModelStatus.READY and done.mlmodel_sha256 == digest
    with pytest.raises(InvalidParameterError, match="PENDING"):
        store.finalize_logged_model(model.model_id, "PENDING")
    with pytest.raises(InvalidParameterError, match="sha256"):
        store.finalize_logged_model(model.model_id, "READY", mlmodel_sha256="not-a-digest")


def test_unknown_experiment_run_or_model_is_refused_by_name(store):
    with pytest.raises(ResourceNotFoundError, match="'42'"):
        store.create_logged_model("42", name="m")
    exp = store.create_experiment("e")
    with pytest.raises(ResourceNotFoundError, match="f" * 32):
        store.create_logged_model(exp, name="m", source_run_id="f" * 32)
    with pytest.raises(ResourceNotFoundError, match="m-nope"):
        store.get_logged_model("m-nope")
    with pytest.raises(InvalidParameterError, match="name"):
        store.create_logged_model(exp, name="")


def test_tags_params_delete_and_deleted_models_vanish(store):
    exp = store.create_experiment("e")
    model = store.create_logged_model(exp, name="m", tags={"a": "1"})
    store.set_logged_model_tags(model.model_id, {"a": "2", "b": "x"})
    store.log_logged_model_params(model.model_id, {"lr": 0.1})
    store.log_logged_model_params(model.model_id, {"lr": "0.1", "depth": 3})  # same value again: fine
    with pytest.raises(InvalidParameterError, match="'lr'"):
        store.log_logged_model_params(model.model_id, {"lr": 0.2})
    store.delete_logged_model_tag(model.model_id, "b")
    with pytest.raises(ResourceNotFoundError, match="'b'"):
        store.delete_logged_model_tag(model.model_id, "b")
    got = store.get_logged_model(model.model_id)
    assert got.tags == {"a": "2"} and got.params == {"lr": "0.1", "depth": "3"}
    store.delete_logged_model(model.model_id)
    with pytest.raises(ResourceNotFoundError):
        store.get_logged_model(model.model_id)
    assert list(store.search_logged_models([exp])) == []


def _model(store, exp, name, **kw):
    model = store.create_logged_model(exp, name=name, **kw)
    return store.finalize_logged_model(model.model_id, "READY")


def test_search_filters_on_attributes_params_tags_and_latest_metric(store):
    exp = store.create_experiment("e")
    run = store.create_run(exp, "ana", None).info.run_id
    a = _model(store, exp, "a", params={"alpha": "0.5"}, tags={"team": "x"})
    b = _model(store, exp, "b", params={"alpha": "0.1"}, model_type="agent")
    pending = store.create_logged_model(exp, name="c")
    # b's acc was high at step 0 but its latest value (step 1) is low: the latest counts
    store.log_logged_model_metrics(run, [
        Metric("acc", 0.9, 1, 0, model_id=a.model_id),
        Metric("acc", 0.95, 1, 0, model_id=b.model_id),
        Metric("acc", 0.2, 2, 1, model_id=b.model_id),
    ])

    def names(filter_string, **kw):
        return [m.name for m in store.search_logged_models([exp], filter_string, **kw)]

    assert names("params.alpha = '0.5'") == ["a"]
    assert names("tags.team = 'x'") == ["a"]
    assert names("metrics.acc > 0.5") == ["a"]
    assert names("metrics.acc < 0.5") == ["b"]
    assert names("status = 'PENDING'") == ["c"]
    assert names("model_type = 'agent'") == ["b"]
    assert names(f"model_id = '{pending.model_id}'") == ["c"]
    assert names("name LIKE 'a%' AND params.alpha = '0.5'") == ["a"]
    assert names("name = 'a' AND params.alpha = '0.1'") == []
    with pytest.raises(InvalidParameterError, match="bogus"):
        names("bogus.x = 1")


def test_search_orders_pages_and_limits_by_experiment(store):
    exp = store.create_experiment("e")
    other = store.create_experiment("other")
    run = store.create_run(exp, "ana", None).info.run_id
    made = [_model(store, exp, f"m{i}") for i in range(5)]
    _model(store, other, "elsewhere")
    store.log_logged_model_metrics(run, [Metric("acc", v, 1, 0, model_id=m.model_id) for m, v in zip(made, [0.3, 0.9, 0.1, 0.5, math.nan])])
    by_acc = store.search_logged_models([exp], order_by=[{"field_name": "metrics.acc", "ascending": False}])
    assert [m.name for m in by_acc] == ["m1", "m3", "m0", "m2", "m4"]  # NaN/none last
    by_name = store.search_logged_models([exp], order_by=["name DESC"])
    assert [m.name for m in by_name] == ["m4", "m3", "m2", "m1", "m0"]
    first = store.search_logged_models([exp], max_results=2, order_by=["name ASC"])
    second = store.search_logged_models([exp], max_results=2, order_by=["name ASC"], page_token=first.token)
    third = store.search_logged_models([exp], max_results=2, order_by=["name ASC"], page_token=second.token)
    assert [m.name for m in [*first, *second, *third]] == ["m0", "m1", "m2", "m3", "m4"] and third.token is None
    assert {m.name for m in store.search_logged_models([exp, other])} == {"m0", "m1", "m2", "m3", "m4", "elsewhere"}
    with pytest.raises(InvalidParameterError, match="max_results"):
        store.search_logged_models([exp], max_results=0)


def test_search_sorts_names_in_code_point_order_on_every_backend(store):
    # by code point "Banana" < "apple" < "cherry"; a language collation (PostgreSQL's en_US) puts "apple" first
    exp = store.create_experiment("e")
    for name in ("apple", "cherry", "Banana"):
        _model(store, exp, name)
    assert [m.name for m in store.search_logged_models([exp], order_by=["name ASC"])] == ["Banana", "apple", "cherry"]
    assert [m.name for m in store.search_logged_models([exp], order_by=["name DESC"])] == ["cherry", "apple", "Banana"]


def test_search_by_dataset_and_metric_entities_carry_lineage(store):
    exp = store.create_experiment("e")
    run = store.create_run(exp, "ana", None).info.run_id
    a, b = _model(store, exp, "a"), _model(store, exp, "b")
    store.log_logged_model_metrics(run, [
        Metric("acc", 0.9, 5, 2, model_id=a.model_id, dataset_name="eval", dataset_digest="d1"),
        Metric("acc", 0.8, 5, 2, model_id=b.model_id, dataset_name="train", dataset_digest="d2"),
    ])
    found = store.search_logged_models([exp], datasets=[{"dataset_name": "eval"}])
    assert [m.name for m in found] == ["a"]
    [metric] = found[0].metrics
    assert (metric.key, metric.value, metric.step, metric.run_id, metric.dataset_digest) == ("acc", 0.9, 2, run, "d1")


def test_run_outputs_and_latest_model_of_run(store):
    exp = store.create_experiment("e")
    run = store.create_run(exp, "ana", None).info.run_id
    first = _model(store, exp, "model", source_run_id=run)
    second = _model(store, exp, "model", source_run_id=run)
    other = _model(store, exp, "other", source_run_id=run)
    store.log_outputs(run, [LoggedModelOutput(first.model_id, 3), LoggedModelOutput(second.model_id, 0)])
    store.log_outputs(run, [LoggedModelOutput(first.model_id, 3)])  # again: one row
    assert [(o.model_id, o.step) for o in store.get_run(run).outputs.model_outputs] == [
        (first.model_id, 3), (second.model_id, 0)
    ]
    assert store.latest_logged_model_of_run(run, "model").model_id == second.model_id
    assert store.latest_logged_model_of_run(run, "other").model_id == other.model_id
    assert store.latest_logged_model_of_run(run, "missing") is None
    failed = store.create_logged_model(exp, name="model", source_run_id=run)
    store.finalize_logged_model(failed.model_id, "FAILED")
    store.create_logged_model(exp, name="model", source_run_id=run)  # still PENDING
    assert store.latest_logged_model_of_run(run, "model").model_id == second.model_id  # only READY ones count
    store.delete_logged_model(second.model_id)
    assert store.latest_logged_model_of_run(run, "model").model_id == first.model_id


def test_entity_iterates_as_mlflow_and_status_numbers_match():
    from mltrail.entities import LoggedModel

    model = LoggedModel("1", "m-" + "a" * 32, "clf", "/x", 1, 2, params={"a": "1"}, status=LoggedModelStatus.READY)
    as_dict = dict(model)
    assert as_dict["model_uri"] == "models:/m-" + "a" * 32 and as_dict["params"] == {"a": "1"}
    assert "mlmodel_sha256" not in as_dict
    assert model.to_dictionary()["status"] == 2  # MLflow's READY
    assert [s.to_int() for s in LoggedModelStatus] == [0, 1, 2, 3]
    assert LoggedModelStatus.from_int(3) is LoggedModelStatus.FAILED
    with pytest.raises(InvalidParameterError, match="'DONE'"):
        LoggedModelStatus.from_string("DONE")

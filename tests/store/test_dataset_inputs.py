"""Dataset inputs in the SQL store: logging, idempotence, reading them back, bad input (3 backends)."""

from __future__ import annotations

import json

import pytest

from mltrail.entities import DATASET_CONTEXT_TAG, Dataset, DatasetInput, InputTag, Metric, Param
from mltrail.exceptions import InvalidParameterError, InvalidStateError, ResourceNotFoundError


def _dataset(name: str = "taxi-2023-01", digest: str = "3f2a9c1b", **kw) -> Dataset:
    fields = {
        "source_type": "local",
        "source": json.dumps({"uri": "/data/yellow_tripdata_2023-01.parquet"}),
        "schema": json.dumps({"mlflow_colspec": [{"type": "double", "name": "trip_distance"}]}),
        "profile": json.dumps({"num_rows": 3066766, "num_elements": 3066766}),
    }
    fields.update(kw)
    return Dataset(name, digest, **fields)


def _train(dataset: Dataset, **extra: str) -> DatasetInput:
    tags = [InputTag(DATASET_CONTEXT_TAG, "train")] + [InputTag(k, v) for k, v in extra.items()]
    return DatasetInput(dataset, tags)


def _inputs(store, run_id: str) -> dict[str, tuple[Dataset, dict[str, str]]]:
    return {
        f"{i.dataset.name}@{i.dataset.digest}": (i.dataset, {t.key: t.value for t in i.tags})
        for i in store.get_run(run_id).inputs.dataset_inputs
    }


def _count(store, table: str) -> int:
    with store.engine.connect() as conn:
        return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()


def test_logged_inputs_come_back_with_get_run_and_search(store):
    run_id = store.create_run("0", "ana", None).info.run_id
    train, valid = _dataset(), _dataset("taxi-2023-02", "77e0d1aa", profile=None, schema=None)
    store.log_inputs(run_id, [_train(train, split="random"), DatasetInput(valid, [InputTag(DATASET_CONTEXT_TAG, "eval")])])

    got = _inputs(store, run_id)
    assert got["taxi-2023-01@3f2a9c1b"] == (train, {DATASET_CONTEXT_TAG: "train", "split": "random"})
    assert got["taxi-2023-02@77e0d1aa"] == (valid, {DATASET_CONTEXT_TAG: "eval"})
    [found] = store.search_runs(["0"])
    assert {i.dataset.name for i in found.inputs.dataset_inputs} == {"taxi-2023-01", "taxi-2023-02"}
    # a run without inputs reads back with none
    other = store.create_run("0", "ana", None).info.run_id
    assert store.get_run(other).inputs.dataset_inputs == []


def test_same_dataset_is_stored_once_per_experiment_and_relogging_changes_nothing(store):
    first = store.create_run("0", "ana", None).info.run_id
    second = store.create_run("0", "ana", None).info.run_id
    store.log_inputs(first, [_train(_dataset())])
    store.log_inputs(first, [_train(_dataset())])  # again: no error, no duplicate
    store.log_inputs(second, [_train(_dataset())])
    assert _count(store, "datasets") == 1
    assert _count(store, "run_inputs") == 2
    assert len(store.get_run(first).inputs.dataset_inputs) == 1

    # another experiment keeps its own row for the same name and digest
    experiment_id = store.create_experiment("other")
    third = store.create_run(experiment_id, "ana", None).info.run_id
    store.log_inputs(third, [_train(_dataset())])
    assert _count(store, "datasets") == 2
    # a new tag value replaces the old one on the same input
    store.log_inputs(first, [DatasetInput(_dataset(), [InputTag(DATASET_CONTEXT_TAG, "eval")])])
    assert _inputs(store, first)["taxi-2023-01@3f2a9c1b"][1] == {DATASET_CONTEXT_TAG: "eval"}


def test_datasets_go_in_the_same_transaction_as_a_batch_and_the_run_end(store):
    run_id = store.create_run("0", "ana", None).info.run_id
    store.log_batch(run_id, params=[Param("alpha", "0.1")], datasets=[_train(_dataset())])
    info = store.finish_run(
        run_id, "FINISHED", 1700000000000, metrics=[Metric("rmse", 6.9, 1, 0)],
        datasets=[DatasetInput(_dataset("valid", "aa11"), [InputTag(DATASET_CONTEXT_TAG, "eval")])],
    )
    assert info.status == "FINISHED"
    run = store.get_run(run_id)
    assert run.data.params == {"alpha": "0.1"} and run.data.metrics == {"rmse": 6.9}
    assert sorted(i.dataset.name for i in run.inputs.dataset_inputs) == ["taxi-2023-01", "valid"]

    # a bad dataset in finish_run leaves the run RUNNING with nothing new logged
    run_id = store.create_run("0", "ana", None).info.run_id
    with pytest.raises(InvalidParameterError, match="dataset name"):
        store.finish_run(run_id, "FINISHED", None, metrics=[Metric("rmse", 1.0, 1, 0)], datasets=[_train(_dataset(""))])
    run = store.get_run(run_id)
    assert run.info.status == "RUNNING" and run.data.metrics == {} and run.inputs.dataset_inputs == []


def test_unknown_and_deleted_runs_are_refused(store):
    with pytest.raises(ResourceNotFoundError, match="'0123456789abcdef0123456789abcdef'"):
        store.log_inputs("0123456789abcdef0123456789abcdef", [_train(_dataset())])
    run_id = store.create_run("0", "ana", None).info.run_id
    store.delete_run(run_id)
    with pytest.raises(InvalidStateError, match=f"{run_id}.*deleted"):
        store.log_inputs(run_id, [_train(_dataset())])
    assert _count(store, "datasets") == 0


@pytest.mark.parametrize(
    "bad, message",
    [
        (_train(_dataset("n" * 501)), r"dataset name 'n{80}'\.\.\.: it must be at most 500 characters \(it has 501\)"),
        (_train(_dataset(digest="d" * 37)), r"digest of dataset 'taxi-2023-01' 'd{37}'.*at most 36 characters"),
        (_train(_dataset(source_type="s" * 37)), r"source type of dataset 'taxi-2023-01'.*at most 36 characters"),
        (DatasetInput(_dataset(), [InputTag("k" * 256, "v")]), r"input tag key of dataset 'taxi-2023-01' 'k{80}'.*at most 255"),
        (DatasetInput(_dataset(), [InputTag("note", "v" * 501)]), r"value of input tag 'note'.*at most 500 characters"),
        (_train(_dataset(name=None)), r"Invalid dataset name None: it must be a non-empty string"),
        ("taxi.parquet", r"Invalid dataset input 'taxi.parquet'"),
    ],
)
def test_bad_values_raise_naming_the_value_and_write_nothing(store, bad, message):
    run_id = store.create_run("0", "ana", None).info.run_id
    with pytest.raises(InvalidParameterError, match=message):
        store.log_inputs(run_id, [_train(_dataset("fine", "00ff")), bad])
    assert store.get_run(run_id).inputs.dataset_inputs == []
    assert _count(store, "datasets") == 0


def test_a_list_is_required(store):
    run_id = store.create_run("0", "ana", None).info.run_id
    with pytest.raises(InvalidParameterError, match="expected a list of DatasetInput"):
        store.log_inputs(run_id, _train(_dataset()))

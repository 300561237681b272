"""Fluent search_runs: MLflow's DataFrame columns, list output, experiment selection."""

from __future__ import annotations

import math

import pytest

import mltrail as mlflow
from mltrail.exceptions import InvalidParameterError, ResourceNotFoundError


@pytest.fixture
def three_runs(tracking_uri):
    mlflow.set_experiment("taxi")
    ids = []
    for alpha, rmse in ((0.1, 7.5), (0.2, 6.1), (0.3, 6.9)):
        with mlflow.start_run() as run:
            mlflow.log_param("alpha", alpha)
            mlflow.log_metric("rmse", rmse)
            if alpha == 0.2:
                mlflow.log_metric("mae", 4.0)
        ids.append(run.info.run_id)
    return ids


def test_dataframe_has_mlflow_columns_and_types(three_runs):
    pd = pytest.importorskip("pandas")
    df = mlflow.search_runs(filter_string="metrics.rmse < 7", order_by=["metrics.rmse ASC"])
    assert list(df.columns[:6]) == ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]
    assert {"metrics.rmse", "metrics.mae", "params.alpha", "tags.mlflow.runName", "tags.mlflow.user"} <= set(df.columns)
    assert list(df["run_id"]) == [three_runs[1], three_runs[2]]
    assert list(df["metrics.rmse"]) == [6.1, 6.9]
    assert df.loc[0, "metrics.mae"] == 4.0 and math.isnan(df.loc[1, "metrics.mae"])
    assert list(df["params.alpha"]) == ["0.2", "0.3"]
    assert list(df["status"]) == ["FINISHED", "FINISHED"]
    assert isinstance(df["start_time"].dtype, pd.DatetimeTZDtype) and str(df["start_time"].dt.tz) == "UTC"
    assert (df["end_time"] >= df["start_time"]).all()


def test_list_output_and_experiment_selection(three_runs, client):
    runs = mlflow.search_runs(output_format="list", order_by=["params.alpha DESC"])
    assert [r.info.run_id for r in runs] == list(reversed(three_runs))
    exp_id = mlflow.get_experiment_by_name("taxi").experiment_id
    assert len(mlflow.search_runs(experiment_names=["taxi"])) == 3
    assert len(mlflow.search_runs(experiment_ids=[exp_id, "0"])) == 3
    assert len(mlflow.search_runs(experiment_ids="0")) == 0
    with mlflow.start_run(experiment_id="0"):
        pass
    assert len(mlflow.search_runs(search_all_experiments=True)) == 4
    assert len(mlflow.search_runs(max_results=2)) == 2


def test_empty_result_still_has_the_base_columns(tracking_uri):
    df = mlflow.search_runs(experiment_ids=["0"])
    assert len(df) == 0
    assert list(df.columns) == ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]


def test_search_argument_errors(three_runs):
    with pytest.raises(ResourceNotFoundError, match="'nope'"):
        mlflow.search_runs(experiment_names=["nope"])
    with pytest.raises(InvalidParameterError, match="'csv'"):
        mlflow.search_runs(output_format="csv")

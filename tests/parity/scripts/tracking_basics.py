"""MLflow's quickstart: an experiment, a run with params, a metric history, tags, a note and artifacts."""
import mlflow

mlflow.set_experiment("parity-tracking")
with mlflow.start_run(run_name="baseline", description="first try") as run:
    mlflow.set_tag("developer", "data-scientist")
    mlflow.log_params({"alpha": 0.01, "train-data-path": "./data/green_tripdata_2021-01.parquet"})
    for step, loss in enumerate([9.1, 7.4, 6.9]):
        mlflow.log_metric("rmse", loss, step=step)
    mlflow.log_metrics({"mae": 4.2, "r2": 0.61})
    mlflow.log_dict({"features": ["PU_DO", "trip_distance"]}, "features.json")
    mlflow.log_text("hello", "notes/readme.txt")
    with mlflow.start_run(run_name="fold-0", nested=True):
        mlflow.log_param("fold", 0)
        mlflow.log_metric("rmse", 7.0)
    print(run.info.run_id)

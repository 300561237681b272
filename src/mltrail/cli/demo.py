"""``mltrail demo``: the seed documents' whole workflow on generated data.

One command a new user runs to see what mltrail records, on the embedded
default store (``sqlite:///mltrail.db`` and ``./mltrail-artifacts`` in the
working directory):

1. ``mltrail.autolog()`` -- nothing else is logged by hand below;
2. a scikit-learn baseline (DictVectorizer + LinearRegression pipeline);
3. a hyperopt sweep of XGBoost boosters (a parent run, one child per trial);
4. the best trial's model registered as ``nyc-taxi-regressor`` and moved to
   Staging, then loaded back by ``models:/nyc-taxi-regressor/Staging`` to
   predict.

    $ mltrail demo --trials 20
"""

from __future__ import annotations

import time

import click

from .._system_tags import PARENT_RUN_ID

EXPERIMENT = "nyc-taxi-experiment"
MODEL_NAME = "nyc-taxi-regressor"


@click.command()
@click.option("--tracking-uri", envvar="MLTRAIL_TRACKING_URI", default=None,
              help="Where to record (default: sqlite:///mltrail.db in the working directory).")
@click.option("--trials", default=20, show_default=True, type=click.IntRange(1, 500),
              help="Hyperopt trials in the XGBoost sweep.")
@click.option("--rows", default=10_000, show_default=True, type=click.IntRange(500, 2_000_000),
              help="Generated trips per month (January trains, February validates).")
def demo(tracking_uri: str | None, trials: int, rows: int) -> None:
    """Run the seed workflow (autologged sklearn baseline, hyperopt + XGBoost sweep,
    registry) on generated taxi-trip data, and print what was stored."""
    try:
        import sklearn  # noqa: F401
        import xgboost  # noqa: F401
        import hyperopt  # noqa: F401
    except ImportError as exc:
        raise click.ClickException(
            f"the demo needs scikit-learn, xgboost and hyperopt ({exc.name} is missing): "
            "pip install 'mltrail[ml]'"
        ) from None
    _run(tracking_uri, trials, rows)


def _run(tracking_uri: str | None, trials: int, rows: int) -> None:
    import logging

    import numpy as np
    import xgboost as xgb
    from hyperopt import STATUS_OK, Trials, fmin, hp, tpe
    from hyperopt.pyll import scope
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LinearRegression
    from sklearn.metrics import mean_squared_error
    from sklearn.pipeline import make_pipeline

    import mltrail

    from .demo_data import taxi_trips

    logging.getLogger("hyperopt").setLevel(logging.WARNING)
    if tracking_uri:
        mltrail.set_tracking_uri(tracking_uri)
    mltrail.set_experiment(EXPERIMENT)
    mltrail.autolog()

    t0 = time.perf_counter()
    train_records, y_train = taxi_trips(month=1, n=rows)
    val_records, y_val = taxi_trips(month=2, n=rows)
    click.echo(f"tracking to {mltrail.get_tracking_uri()}, experiment {EXPERIMENT!r}")
    click.echo(f"data: {rows:,} generated trips for January (train) and February (validation)")

    # 1. Baseline: an autologged scikit-learn pipeline.
    baseline = make_pipeline(DictVectorizer(), LinearRegression())
    baseline.fit(train_records, y_train)
    baseline_rmse = mean_squared_error(y_val, baseline.predict(val_records)) ** 0.5
    baseline_run = mltrail.last_active_run()
    click.echo(f"baseline  LinearRegression   rmse {baseline_rmse:6.3f}   run {baseline_run.info.run_id}")

    # 2. The seed's hyperopt sweep over XGBoost boosters, untouched but for autolog().
    dv = DictVectorizer()
    train = xgb.DMatrix(dv.fit_transform(train_records), label=y_train)
    valid = xgb.DMatrix(dv.transform(val_records), label=y_val)

    def objective(params):
        booster = xgb.train(params=params, dtrain=train, num_boost_round=100,
                            evals=[(valid, "validation")], early_stopping_rounds=20,
                            verbose_eval=False)
        rmse = mean_squared_error(y_val, booster.predict(valid)) ** 0.5
        return {"loss": rmse, "status": STATUS_OK}

    search_space = {
        "max_depth": scope.int(hp.quniform("max_depth", 4, 16, 1)),
        "learning_rate": hp.loguniform("learning_rate", -3, 0),
        "reg_alpha": hp.loguniform("reg_alpha", -5, -1),
        "reg_lambda": hp.loguniform("reg_lambda", -6, -1),
        "min_child_weight": hp.loguniform("min_child_weight", -1, 3),
        "objective": "reg:squarederror",
        "seed": 42,
    }
    sweep_start = time.perf_counter()
    fmin(fn=objective, space=search_space, algo=tpe.suggest, max_evals=trials,
         trials=Trials(), rstate=np.random.default_rng(42), show_progressbar=False)
    sweep_seconds = time.perf_counter() - sweep_start
    parent = mltrail.last_active_run()
    best_run_id = parent.data.tags["best_trial_run_id"]
    best_loss = parent.data.metrics["best_loss"]
    click.echo(f"sweep     XGBoost, {trials} trials  best rmse {best_loss:6.3f}   "
               f"run {best_run_id} (parent {parent.info.run_id}, {sweep_seconds:.1f} s)")

    # 3. Registry: register the best trial's model, move it to Staging, load it back.
    version = mltrail.register_model(f"runs:/{best_run_id}/model", MODEL_NAME)
    client = mltrail.MlflowClient()
    client.transition_model_version_stage(MODEL_NAME, version.version, "Staging",
                                          archive_existing_versions=True)
    staged = mltrail.xgboost.load_model(f"models:/{MODEL_NAME}/Staging")
    staged_rmse = mean_squared_error(y_val, staged.predict(valid)) ** 0.5
    click.echo(f"registry  {MODEL_NAME} version {version.version} -> Staging; "
               f"loaded from models:/{MODEL_NAME}/Staging, rmse {staged_rmse:6.3f}")

    # 4. What is stored.
    runs = mltrail.search_runs(experiment_names=[EXPERIMENT], output_format="list")
    trial_runs = [r for r in runs if r.data.tags.get(PARENT_RUN_ID) == parent.info.run_id]
    sklearn_runs = sorted(r.data.tags.get("estimator_name", "?") for r in runs if "estimator_name" in r.data.tags)
    best_model = client.get_logged_model_of_run(best_run_id, "model")  # MLflow 3: a LoggedModel of the run
    artifacts = client.list_logged_model_artifacts(best_model.model_id) if best_model is not None else []
    click.echo("")
    click.echo(f"stored: {len(runs)} runs in {EXPERIMENT!r}: 1 sweep run with {len(trial_runs)} trial runs, "
               f"{len(sklearn_runs)} scikit-learn run{'' if len(sklearn_runs) == 1 else 's'} "
               f"({', '.join(sklearn_runs)})")
    model_uri = f"models:/{best_model.model_id}" if best_model is not None else "-"
    click.echo(f"best trial model {model_uri}: {', '.join(sorted(a.path.split('/')[-1] for a in artifacts))}")
    click.echo(f"total {time.perf_counter() - t0:.1f} s")
    click.echo("")
    click.echo("next:")
    click.echo(f"  mltrail runs list --experiment-name {EXPERIMENT} --order-by 'metrics.loss ASC'")
    click.echo(f"  mltrail runs describe {best_run_id}")
    click.echo(f"  mltrail models describe {MODEL_NAME}")
    ui_uri = mltrail.get_tracking_uri()
    click.echo(f"  mltrail ui{'' if ui_uri == 'sqlite:///mltrail.db' else f' --backend-store-uri {ui_uri}'}"
               "   # then open http://127.0.0.1:5000 to compare the runs and read the sweep")

"""Models: log_model / load_model of a small sklearn pipeline and an XGBoost booster.

Each call logs a complete model (model file, MLmodel, conda.yaml,
python_env.yaml, requirements.txt, input example, signature) into one run.
The first call in the process warms caches (imports, the installed-package
map, the store) and is reported apart as ``first_ms``; the result is the
median of the following calls. Loading is timed on a model logged by the
setup phase (another process), through its ``runs:/`` URI.
"""

from __future__ import annotations

import json
import os

from ..measure import median, timings_ms
from ..spec import Context, Measurement, Target, Workload

_URI_FILE = "model_uri.json"


def _sklearn_model():
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(150, 4)), columns=["sepal_length", "sepal_width", "petal_length", "petal_width"])
    y = (X["sepal_length"] + X["petal_width"] > 0).astype(int) + (X["petal_length"] > 1).astype(int)
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=200)).fit(X, y), X


def _xgboost_model():
    import numpy as np
    import pandas as pd
    import xgboost as xgb

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 4)), columns=["f0", "f1", "f2", "f3"])
    y = X["f0"] * 2 + X["f1"]
    booster = xgb.train({"max_depth": 3, "nthread": 1}, xgb.DMatrix(X, label=y), num_boost_round=20)
    return booster, X


_MODELS = {"sklearn": _sklearn_model, "xgboost": _xgboost_model}


def _log(api, flavor: str, model, example, name: str):
    # MLflow 3 names the model with `name` (artifact_path is deprecated); mltrail accepts both.
    # Recent MLflow defaults sklearn to skops; both backends are asked for cloudpickle.
    extra = {"serialization_format": "cloudpickle"} if flavor == "sklearn" else {}
    return getattr(api, flavor).log_model(model, name=name, input_example=example[:5], **extra)


def _log_model(flavor: str):
    def run(api, ctx: Context) -> Measurement:
        api.set_tracking_uri(ctx.tracking_uri)
        model, X = _MODELS[flavor]()
        with api.start_run():
            times = timings_ms(lambda i: _log(api, flavor, model, X, f"model_{i}"), ctx.params["repeats"] + 1,
                               budget_s=ctx.params["budget_s"])
        steady = times[1:]
        return Measurement(median(steady), {"first_ms": round(times[0], 1), "calls": len(steady), "min_ms": min(steady)})

    return run


def _setup_load(flavor: str):
    def setup(api, ctx: Context) -> None:
        api.set_tracking_uri(ctx.tracking_uri)
        model, X = _MODELS[flavor]()
        with api.start_run() as run:
            _log(api, flavor, model, X, "model")
        with open(os.path.join(ctx.workdir, _URI_FILE), "w") as f:
            json.dump({"uri": f"runs:/{run.info.run_id}/model"}, f)

    return setup


def _load_model(flavor: str):
    def run(api, ctx: Context) -> Measurement:
        api.set_tracking_uri(ctx.tracking_uri)
        with open(os.path.join(ctx.workdir, _URI_FILE)) as f:
            uri = json.load(f)["uri"]
        load = getattr(api, flavor).load_model
        times = timings_ms(lambda i: load(uri), ctx.params["repeats"] + 1, budget_s=ctx.params["budget_s"])
        steady = times[1:]
        return Measurement(median(steady), {"first_ms": round(times[0], 1), "calls": len(steady), "min_ms": min(steady)})

    return run


_SIZES = {"params": {"repeats": 50, "budget_s": 30.0}, "quick_params": {"repeats": 5, "budget_s": 10.0}}

WORKLOADS = [
    Workload(
        name="sklearn_log_model",
        run=_log_model("sklearn"),
        unit="ms",
        description="sklearn.log_model of a scaler+logistic pipeline with input example and all env files, median",
        target=Target.at_most(15, "ms"),
        order=60,
        **_SIZES,
    ),
    Workload(
        name="sklearn_load_model",
        run=_load_model("sklearn"),
        setup=_setup_load("sklearn"),
        unit="ms",
        description="sklearn.load_model('runs:/...') of that pipeline (hashes verified), median",
        target=Target.at_most(10, "ms"),
        order=61,
        **_SIZES,
    ),
    Workload(
        name="xgboost_log_model",
        run=_log_model("xgboost"),
        unit="ms",
        description="xgboost.log_model of a 20-tree booster with input example and all env files, median",
        order=62,
        **_SIZES,
    ),
    Workload(
        name="xgboost_load_model",
        run=_load_model("xgboost"),
        setup=_setup_load("xgboost"),
        unit="ms",
        description="xgboost.load_model('runs:/...') of that booster, median",
        order=63,
        **_SIZES,
    ),
]

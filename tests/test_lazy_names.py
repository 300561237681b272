"""Packages export names without importing their modules until a name is used (PEP 562 tables)."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = r"""
import sys
import mltrail_xgboost, mltrail_hyperopt, mltrail.models, mltrail.store.rest
loaded = lambda *names: [n for n in names if n in sys.modules]
assert loaded("xgboost", "mltrail_xgboost._flavor", "mltrail_hyperopt._autolog", "hyperopt",
              "mltrail.models.model", "yaml", "mltrail.store.rest.tracking") == [], sys.modules.keys()
log_model = mltrail_xgboost.log_model
assert loaded("mltrail_xgboost._flavor") == ["mltrail_xgboost._flavor"]
assert log_model is mltrail_xgboost.log_model is vars(mltrail_xgboost)["log_model"]  # kept in the package
assert mltrail.models.Model.__module__ == "mltrail.models.model"
assert mltrail.store.rest.RestTrackingStore.__module__ == "mltrail.store.rest.tracking"
for package in (mltrail_xgboost, mltrail_hyperopt, mltrail.models, mltrail.store.rest):
    try:
        package.no_such_name
    except AttributeError as e:
        assert str(e) == f"module {package.__name__!r} has no attribute 'no_such_name'", e
    else:
        raise SystemExit(f"{package.__name__}.no_such_name did not raise")
print("ok")
"""


def test_names_load_on_first_use_stay_in_the_package_and_unknown_names_raise():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr[-2000:]

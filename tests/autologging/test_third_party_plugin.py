"""A plugin living outside this repository, found through its entry point, works like ours.

The test writes, into a temp folder on ``sys.path``:

* ``metronome`` - a tiny "framework" (a class with ``fit``);
* ``metronome_mltrail`` - its mltrail integration, written only against
  ``mltrail.autologging``'s public API (this is the documented example);
* ``metronome_mltrail-0.1.dist-info`` - package metadata whose
  ``entry_points.txt`` registers ``metronome = metronome_mltrail`` in the
  ``mltrail.integrations`` group, exactly what ``pip install`` of a plugin
  with that entry point in its pyproject.toml produces.

A fresh interpreter then uses ``mltrail.metronome`` and ``mltrail.autolog()``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

FRAMEWORK = '''
__version__ = "2.1.0"

class Metronome:
    def __init__(self, bpm=120):
        self.bpm = bpm
    def fit(self, beats):
        self.period_ = 60.0 / self.bpm * len(beats)
        return self
'''

PLUGIN = '''
"""mltrail integration for metronome (a third-party plugin)."""
from mltrail.autologging import AutologCall, Integration


class MetronomeIntegration(Integration):
    name = "metronome"
    framework = "metronome"
    min_version, max_version = "2.0", "2"
    config_defaults = {"log_period": True}

    def patch(self, metronome):
        self.wrap(metronome.Metronome, "fit", self._log_fit)

    def _log_fit(self, call: AutologCall) -> None:
        call.log_params({"bpm": call.instance.bpm})
        model = call.call_original()
        if call.config.log_period:
            call.log_metrics({"period": model.period_})


integration = MetronomeIntegration()


def autolog(**config):
    """Enable metronome autologging (see mltrail.autologging for the options)."""
    integration.autolog(**config)
'''

SCRIPT = '''
import json, sys
import mltrail
mltrail.set_tracking_uri(sys.argv[1])
out = {}
mltrail.autolog(log_period=True)          # the plugin's own extra option is accepted
import metronome                           # framework imported after autolog()
metronome.Metronome(bpm=60).fit([1, 2, 3])
run = mltrail.last_active_run()
out["universal"] = {"params": run.data.params, "metrics": run.data.metrics,
                    "tag": run.data.tags.get("mlflow.autologging")}
import mltrail.metronome                   # the import path reaches the plugin module
out["same_module"] = mltrail.metronome is sys.modules["metronome_mltrail"]
mltrail.metronome.autolog(log_period=False)  # the framework's own autolog overrides
metronome.Metronome(bpm=30).fit([1])
out["override_metrics"] = mltrail.last_active_run().data.metrics
mltrail.autolog(disable=True)
out["restored"] = "fit" in vars(metronome.Metronome) and not hasattr(vars(metronome.Metronome)["fit"], "__wrapped__")
print(json.dumps(out))
'''


def test_third_party_plugin_registered_by_entry_point(tmp_path, sqlite_uri):
    site = tmp_path / "site"
    (site / "metronome_mltrail").mkdir(parents=True)
    (site / "metronome.py").write_text(FRAMEWORK)
    (site / "metronome_mltrail" / "__init__.py").write_text(PLUGIN)
    dist_info = site / "metronome_mltrail-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: metronome-mltrail\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text("[mltrail.integrations]\nmetronome = metronome_mltrail\n")
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(SCRIPT))

    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run(
        [sys.executable, str(script), sqlite_uri], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["universal"] == {"params": {"bpm": "60"}, "metrics": {"period": 3.0}, "tag": "metronome"}
    assert out["same_module"] is True
    assert out["override_metrics"] == {}
    assert out["restored"] is True

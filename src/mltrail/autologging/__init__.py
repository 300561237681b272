"""Autologging: the plugin API behind ``mltrail.autolog()`` and ``mltrail.<framework>.autolog()``.

Users call::

    import mltrail
    mltrail.autolog()                  # every installed integration, any import order
    mltrail.sklearn.autolog(max_tuning_runs=3)
    mltrail.autolog(disable=True)      # every original callable restored exactly

Writing an integration (for a framework outside this repository too)
--------------------------------------------------------------------
1. Subclass :class:`Integration`, patch in ``patch()`` with ``self.wrap``;
   each hook gets an :class:`AutologCall` whose ``call_original()`` runs the
   framework, and buffers params/metrics/tags written in one transaction::

       # toyml_mltrail/__init__.py
       from mltrail.autologging import AutologCall, Integration

       class ToyIntegration(Integration):
           name = "toy"
           framework = "toyml"
           min_version, max_version = "1.0", "2"

           def patch(self, toyml):
               self.wrap(toyml.Model, "train", self._log_train)

           def _log_train(self, call: AutologCall) -> None:
               call.log_params({"lr": call.kwargs.get("lr", 0.1)})
               model = call.call_original()
               call.log_metrics({"loss": model.loss})

       integration = ToyIntegration()

       def autolog(**config):
           integration.autolog(**config)

2. Register it in the plugin's own ``pyproject.toml``::

       [project.entry-points."mltrail.integrations"]
       toy = "toyml_mltrail"

   ``mltrail.toy.autolog()`` and ``mltrail.autolog()`` then reach it
   (tests/autologging/test_third_party_plugin.py installs such a plugin
   from a temporary dist-info and checks exactly this).

The runtime rules (never break the user's code, outermost call wins, reuse
the active run, one transaction per call) live in :class:`AutologCall`.
Scopes (module ``_scope``): :func:`new_scope` lets designed child runs (a
hyperopt trial) autolog inside an outer call, :func:`suppressed` runs
framework code on the user's behalf without autologging it,
:func:`current_call` / :func:`in_autologged_call` tell where you are.
:func:`warn_once` / :func:`describe_error` report a failure of your logging
the way every integration does; :func:`integration_modules` names the
registered plugins' modules (nothing imported).
Designed child runs that defer or drop models: :class:`ChildRunPolicy`
(module ``_child_runs``); write to one with
:meth:`AutologCall.write_child_batch`, and leave optional figures out when
:attr:`AutologCall.skips_figures` says so. :meth:`Integration.wrap_plain` installs a light
observer (no run) for things like post-training metrics.

Figures and other optional artifacts that take milliseconds to draw go to
the background writer, module :mod:`mltrail.autologging.background`:
capture the numbers in the hook, then
``call.log_artifacts_later("draw the plot", lambda: {"plot.png": draw(numbers)})``.
They are complete once ``mltrail.flush_artifacts()`` returns, when the run
is read (``list_artifacts`` / ``download_artifacts``) or ended by its owner,
and at exit. Small PNG charts (bars, heat map, lines) for such figures:
module :mod:`mltrail.autologging.charts`.
"""

from __future__ import annotations

from ._calls import PARENT_RUN_TAG, AutologCall
from ._scope import (
    AUTOLOGGING_TAG,
    current_call,
    in_autologged_call,
    new_scope,
    start_autolog_run,
    suppressed,
)
from ._child_runs import (
    ChildRunPolicy,
    child_run_policy,
    log_model_per_policy,
)
from ._integration import Integration
from ._reporting import describe_error, forget_warnings, logger, warn_once
from ._universal import autolog, integration_modules, integrations

#: The plugin contract: what an integration (ours or a third party's) may use. The rest of the
#: package (patching, config resolution, version checks, bounded writes) is machinery behind it.
__all__ = [
    "AUTOLOGGING_TAG",
    "PARENT_RUN_TAG",
    "AutologCall",
    "ChildRunPolicy",
    "Integration",
    "autolog",
    "child_run_policy",
    "current_call",
    "describe_error",
    "forget_warnings",
    "in_autologged_call",
    "integration_modules",
    "integrations",
    "log_model_per_policy",
    "logger",
    "new_scope",
    "start_autolog_run",
    "suppressed",
    "warn_once",
]

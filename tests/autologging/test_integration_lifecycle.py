"""An ``Integration``'s life as a plugin author and a user see it: declared, enabled before or after
the framework's import, patched or left off (unsupported version, a broken ``patch``), disabled
with the originals back, and which calls it logs (library code calling the framework is not
the user's training)."""

from __future__ import annotations

import importlib
import sys

import pytest

import mltrail
from mltrail import _plugins
from mltrail.autologging import AutologCall, Integration
from mltrail.exceptions import InvalidParameterError


def log_loss(call: AutologCall) -> None:
    call.log_metrics({"loss": call.call_original().loss})


def integration_for(module_name: str, **attrs) -> Integration:
    """A fresh integration patching ``module_name``'s ``Model.train`` (attributes overridable)."""
    body = {"name": "toy", "framework": module_name,
            "patch": lambda self, module: self.wrap(module.Model, "train", log_loss), **attrs}
    return type("ToyIntegration", (Integration,), body)()


def runs(client: mltrail.Client) -> list:
    return client.search_runs(["0"])


@pytest.mark.parametrize("missing", ["name", "framework"])
def test_an_integration_must_name_itself_and_its_framework(missing):
    attrs = {"name": "toy", "framework": "toyml", missing: ""}
    with pytest.raises(TypeError, match="^Broken must set the class attributes 'name' and 'framework'$"):
        type("Broken", (Integration,), attrs)()


def test_a_new_integration_is_off_until_autolog(tracking, toy_module_name):
    integration = integration_for(toy_module_name)
    assert integration.config.disable is True and integration.config.log_models is True
    assert (integration.enabled, integration.patched, integration.configured_explicitly) == (False, False, False)
    assert repr(integration) == f"<ToyIntegration 'toy' ({toy_module_name}) off>"
    integration.autolog()  # the framework is not imported yet
    assert repr(integration) == f"<ToyIntegration 'toy' ({toy_module_name}) waiting for import>"
    assert (integration.enabled, integration.patched, integration.configured_explicitly) == (True, False, True)
    try:
        toy = importlib.import_module(toy_module_name)
        assert repr(integration) == f"<ToyIntegration 'toy' ({toy_module_name}) patched>"
        assert integration.is_wrapped(toy.Model, "train") and not integration.is_wrapped(toy.Model, "train_twice")
        toy.Model(lr=0.5).train(steps=4)
    finally:
        integration.autolog(disable=True)
    assert not integration.is_wrapped(toy.Model, "train")
    assert [r.data.metrics for r in runs(tracking)] == [{"loss": 0.5}]


def test_disabled_before_the_import_patches_nothing(tracking, toy_module_name):
    integration = integration_for(toy_module_name)
    integration.autolog()
    integration.autolog(disable=True)
    toy = importlib.import_module(toy_module_name)  # the post-import hook still fires
    assert not integration.patched and not hasattr(toy.Model.__dict__["train"], "__wrapped__")
    toy.Model().train()
    assert runs(tracking) == []


def test_enabled_again_after_disable_patches_again(tracking, toy_module_name):
    toy = importlib.import_module(toy_module_name)
    integration = integration_for(toy_module_name)
    for _ in range(2):
        integration.autolog()
        toy.Model().train()
        integration.autolog(disable=True)
        toy.Model().train()  # not logged
    assert len(runs(tracking)) == 2


def test_a_patch_that_fails_half_way_leaves_the_framework_untouched(tracking, toy_module_name, autolog_warnings):
    toy = importlib.import_module(toy_module_name)
    original = toy.Model.__dict__["train"]

    def patch(self, module):
        self.wrap(module.Model, "train", log_loss)
        raise AttributeError("module 'toyml' has no attribute 'Trainer'")

    integration = integration_for(toy_module_name, patch=patch)
    integration.autolog(silent=True)  # silent: the failure is not warned about
    assert autolog_warnings() == []
    integration.autolog(disable=True)
    integration.autolog()
    try:
        assert integration.patched is False and toy.Model.__dict__["train"] is original
        toy.Model().train()
    finally:
        integration.autolog(disable=True)
    assert runs(tracking) == []
    assert autolog_warnings() == [
        f"mltrail autologging (toy) could not patch {toy_module_name} and stays off: "
        "AttributeError: module 'toyml' has no attribute 'Trainer'"
    ]


def test_an_integration_without_patch_says_so(tracking, toy_module_name, autolog_warnings):
    importlib.import_module(toy_module_name)
    integration = type("Lazy", (Integration,), {"name": "lazy", "framework": toy_module_name})()
    integration.autolog(silent=False)
    integration.autolog(disable=True)
    assert autolog_warnings() == [
        f"mltrail autologging (lazy) could not patch {toy_module_name} and stays off: NotImplementedError: Lazy.patch"
    ]


def test_an_unpatch_that_fails_is_warned_and_autolog_is_off(tracking, toy_module_name, autolog_warnings):
    toy = importlib.import_module(toy_module_name)

    def unpatch(self):
        Integration.unpatch(self)
        raise RuntimeError("could not restore Trainer")

    integration = integration_for(toy_module_name, unpatch=unpatch)
    integration.autolog()
    integration.autolog(disable=True)
    assert (integration.enabled, integration.patched) == (False, False)
    toy.Model().train()
    assert runs(tracking) == []
    assert autolog_warnings() == [
        "mltrail autologging (toy): could not undo every patch: RuntimeError: could not restore Trainer"
    ]


def test_an_open_version_range_is_named_any_to_latest(tracking, toy_module_name, autolog_warnings):
    importlib.import_module(toy_module_name)
    integration = integration_for(toy_module_name, max_version="1.2")
    integration.autolog()
    integration.autolog(disable=True)
    assert autolog_warnings() == [
        f"mltrail autologging (toy) is tested with {toy_module_name} any to 1.2, but 1.4.0 is installed; "
        "it may not work."
    ]
    integration_for(toy_module_name, min_version="1.5").autolog(silent=True)  # silent: not warned
    assert len(autolog_warnings()) == 1


def test_the_version_is_looked_up_under_the_distribution_name(tracking, toy_module_name, autolog_warnings):
    importlib.import_module(toy_module_name)
    integration = integration_for(toy_module_name, distribution="toy-distribution", min_version="2.0")
    integration.autolog(disable_for_unsupported_versions=True)
    integration.autolog(disable=True)
    (warning,) = autolog_warnings()
    assert warning.startswith("mltrail autologging (toy) is tested with toy-distribution 2.0 to latest, but 1.4.0")
    assert warning.endswith("autologging stays off (disable_for_unsupported_versions=True).")


def test_warn_is_once_and_quiet_when_silent(tracking, toy_module_name, autolog_warnings):
    integration = integration_for(toy_module_name)
    integration.autolog(silent=True)
    integration.warn("the loss curve is not logged")
    assert autolog_warnings() == []
    integration.autolog()
    integration.warn("the loss curve is not logged")
    integration.warn("the loss curve is not logged")
    integration.autolog(disable=True)
    assert autolog_warnings() == ["mltrail autologging (toy): the loss curve is not logged"]


def test_wrap_plain_and_replace_are_undone_by_disable(tracking, toy_module_name):
    toy = importlib.import_module(toy_module_name)
    seen = []
    original_function, original_twice = toy.train, toy.Model.__dict__["train_twice"]

    def patch(self, module):
        assert self.wrap_plain(module.Model, "train_twice", lambda wrapped, instance, args, kwargs:
                               seen.append("observed") or wrapped(*args, **kwargs))
        assert not self.wrap_plain(module.Model, "train_twice", lambda *a: None)  # already patched
        assert not self.wrap(module.Model, "__len__", log_loss)  # not defined there
        assert self.replace(module, "train", lambda steps=3, lr=0.1: "replaced")
        assert not self.replace(module, "train", lambda: None)

    integration = integration_for(toy_module_name, patch=patch)
    integration.autolog()
    try:
        assert toy.train() == "replaced"
        model = toy.Model(lr=0.5)
        assert model.train_twice() is model and model.loss == 1.0
    finally:
        integration.autolog(disable=True)
    assert seen == ["observed"] and runs(tracking) == []  # an observer, not a run
    assert toy.train is original_function and toy.Model.__dict__["train_twice"] is original_twice


LIBRARY_SOURCE = '''
from {toy} import Model

def fit_helper():
    return Model(lr=0.5).train(4)

class Tuner(Model):
    def fit_twice(self):
        return self.train(steps=4)
'''


def test_library_code_training_a_model_of_its_own_is_not_logged(tracking, toy_module_name, tmp_path):
    toy = importlib.import_module(toy_module_name)
    library = f"{toy_module_name}_library"
    (tmp_path / f"{library}.py").write_text(LIBRARY_SOURCE.format(toy=toy_module_name))
    lib = importlib.import_module(library)
    integration = integration_for(toy_module_name, library_callers=(library,))
    integration.autolog()
    try:
        assert lib.fit_helper().loss == 0.5  # library code, another object: the user's result, no run
        assert not runs(tracking)
        lib.Tuner(lr=0.25).fit_twice()  # the library calling its own instance's train: the user's
        toy.Model(lr=1.0).train(steps=4)  # the user's own call
    finally:
        integration.autolog(disable=True)
        sys.modules.pop(library, None)
    assert sorted(r.data.metrics["loss"] for r in runs(tracking)) == [0.25, 1.0]


def test_calls_from_other_modules_are_logged_when_no_library_is_declared(tracking, toy_module_name, tmp_path):
    importlib.import_module(toy_module_name)
    library = f"{toy_module_name}_library"
    (tmp_path / f"{library}.py").write_text(LIBRARY_SOURCE.format(toy=toy_module_name))
    lib = importlib.import_module(library)
    for callers in ((), (f"{toy_module_name}_other",)):
        integration = integration_for(toy_module_name, library_callers=callers)
        integration.autolog()
        try:
            lib.fit_helper()
        finally:
            integration.autolog(disable=True)
    sys.modules.pop(library, None)
    assert len(runs(tracking)) == 2


PLUGIN_SOURCE = '''
from mltrail.autologging import AutologCall, Integration
from mltrail.exceptions import InvalidParameterError


class ToyIntegration(Integration):
    name = "{name}"
    framework = "{toy}"
    config_defaults = {{"log_loss": True}}

    def patch(self, toy):
        self.wrap(toy.Model, "train", self._log)

    def _log(self, call: AutologCall) -> None:
        model = call.call_original()
        if call.config.log_loss:
            call.log_metrics({{"loss": model.loss}})


integration = ToyIntegration()


def autolog(**config):
    integration.autolog(**config)
'''


@pytest.fixture
def installed_plugin(toy_module_name, tmp_path, monkeypatch):
    """A plugin for the toy framework installed in this process (a dist-info with its entry point)."""
    name = f"toyplugin{toy_module_name[-8:]}"
    site = tmp_path / "site"
    (site / name).mkdir(parents=True)
    (site / name / "__init__.py").write_text(PLUGIN_SOURCE.format(name=name, toy=toy_module_name))
    dist_info = site / f"{name}-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text(f"[mltrail.integrations]\n{name} = {name}\n")
    monkeypatch.syspath_prepend(str(site))
    _plugins.refresh()
    yield name
    mltrail.autolog(disable=True)
    monkeypatch.undo()
    _plugins.refresh()
    for module in (name, f"mltrail.{name}"):
        sys.modules.pop(module, None)


def test_mltrail_autolog_enables_a_plugin_nobody_configured_yet(tracking, toy_module_name, installed_plugin):
    mltrail.autolog(log_loss=True)
    toy = importlib.import_module(toy_module_name)
    toy.Model(lr=0.5).train(steps=4)
    assert [r.data.metrics for r in runs(tracking)] == [{"loss": 0.5}]
    plugin = sys.modules[installed_plugin]
    mltrail.autolog(log_loss=False)  # a later mltrail.autolog reconfigures it
    toy.Model(lr=0.5).train(steps=4)
    plugin.autolog(log_loss=True)  # the plugin's own autolog wins over mltrail.autolog
    mltrail.autolog(log_loss=False)
    toy.Model(lr=0.5).train(steps=4)
    assert sorted(len(r.data.metrics) for r in runs(tracking)) == [0, 1, 1]



def test_an_unknown_option_names_the_integration(toy_module_name):
    with pytest.raises(InvalidParameterError, match="^Unknown autolog option\\(s\\) 'log_loss' for 'toy': valid"):
        integration_for(toy_module_name).autolog(log_loss=True)


def test_inner_calls_get_the_arguments_the_outer_call_passed_on(tracking, toy_module_name):
    toy = importlib.import_module(toy_module_name)

    def patch(self, module):
        self.wrap(module.Model, "train", log_loss)
        self.wrap(module, "train", log_loss)  # train(steps, lr) calls Model(lr).train(steps): positional
        self.wrap(module.Model, "train_twice", log_loss)  # calls self.train(steps=2): by keyword

    integration = integration_for(toy_module_name, patch=patch)
    integration.autolog()
    try:
        model = toy.train(5, 0.5)
        twice = toy.Model(lr=0.5).train_twice()
    finally:
        integration.autolog(disable=True)
    assert model.loss == pytest.approx(0.4) and twice.loss == pytest.approx(1.0)
    assert sorted(r.data.metrics["loss"] for r in runs(tracking)) == [pytest.approx(0.4), pytest.approx(1.0)]

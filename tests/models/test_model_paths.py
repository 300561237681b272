"""Every path MLmodel names stays inside the model folder, and a folder without hashes is refused.

A tampered MLmodel can point a flavor's file key outside the folder (``..``,
an absolute path, a symlink) or drop its ``files`` hashes: each of these must
be refused before any pickle is read, so the planted pickle never runs.
"""

from __future__ import annotations

import os
import pickle
import sys
import warnings

import numpy as np
import pytest
import yaml

import mltrail
from mltrail.exceptions import ModelIntegrityError
from mltrail.models.integrity import UnverifiedModelWarning, resolve_model_path, sha256_of_file


class _Planted:
    """Unpickling this creates the folder ``marker``: proof that a pickle ran."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def _plant(path: str, marker: str) -> None:
    with open(path, "wb") as f:
        pickle.dump(_Planted(marker), f)


def _edit(folder: str, edit) -> None:
    path = os.path.join(folder, "MLmodel")
    with open(path) as f:
        mlmodel = yaml.safe_load(f)
    edit(mlmodel)
    with open(path, "w") as f:
        yaml.safe_dump(mlmodel, f)


@pytest.fixture
def outside(tmp_path):
    """A malicious pickle outside the model folder and the marker its unpickling would create."""
    folder = tmp_path / "outside"
    folder.mkdir()
    marker = str(tmp_path / "pwned")
    _plant(str(folder / "evil.pkl"), marker)
    return str(folder / "evil.pkl"), marker


@pytest.mark.parametrize("verify", [None, False])
@pytest.mark.parametrize("loader", ["sklearn", "pyfunc"])
def test_a_flavor_file_key_with_dotdot_is_refused_by_name(saved_model, outside, verify, loader):
    evil, marker = outside
    rel = os.path.relpath(evil, saved_model)  # ../outside/evil.pkl
    assert rel.startswith("..")
    key = "pickled_model" if loader == "sklearn" else "model_path"
    flavor = "sklearn" if loader == "sklearn" else "python_function"
    _edit(saved_model, lambda d: d["flavors"][flavor].__setitem__(key, rel))
    with pytest.raises(ModelIntegrityError) as e:
        getattr(mltrail, loader).load_model(saved_model, verify=verify)
    assert f"flavors.{flavor}.{key}" in e.value.message and repr(rel) in e.value.message
    assert "'..' segment" in e.value.message
    assert not os.path.exists(marker)


@pytest.mark.parametrize("verify", [None, False])
def test_an_absolute_path_is_refused_by_name(saved_model, outside, verify):
    evil, marker = outside
    _edit(saved_model, lambda d: d["flavors"]["sklearn"].__setitem__("pickled_model", evil))
    with pytest.raises(ModelIntegrityError, match=r"flavors\.sklearn\.pickled_model is .*evil\.pkl', an absolute path"):
        mltrail.sklearn.load_model(saved_model, verify=verify)
    assert not os.path.exists(marker)


def test_a_symlink_leading_out_of_the_folder_is_refused(saved_model, outside):
    evil, marker = outside
    os.symlink(evil, os.path.join(saved_model, "linked.pkl"))
    _edit(saved_model, lambda d: d["flavors"]["sklearn"].__setitem__("pickled_model", "linked.pkl"))
    with pytest.raises(ModelIntegrityError, match=r"'linked.pkl', which resolves to .*outside.*symlink"):
        mltrail.sklearn.load_model(saved_model, verify=False)
    assert not os.path.exists(marker)


def test_a_listed_file_replaced_by_a_symlink_out_of_the_folder_is_refused(saved_model, tmp_path):
    # Even a symlink whose target has the recorded content (a copy of the real file) is refused.
    copy = tmp_path / "copy.txt"
    listed = os.path.join(saved_model, "requirements.txt")
    copy.write_bytes(open(listed, "rb").read())
    os.remove(listed)
    os.symlink(copy, listed)
    with pytest.raises(ModelIntegrityError) as e:
        mltrail.sklearn.load_model(saved_model)
    assert (
        f"file 'requirements.txt' is a symlink to {os.path.realpath(copy)!r}, outside the model folder (load with "
        "verify=False" in e.value.message
    )


def test_a_symlink_inside_the_folder_is_fine(saved_model, pipeline, iris_like):
    X, _ = iris_like
    os.rename(os.path.join(saved_model, "model.pkl"), os.path.join(saved_model, "real.pkl"))
    os.symlink("real.pkl", os.path.join(saved_model, "model.pkl"))
    model = mltrail.sklearn.load_model(saved_model, verify=False)
    np.testing.assert_array_equal(model.predict(X[:3]), pipeline.predict(X[:3]))


def test_the_code_folder_and_the_input_example_may_not_leave_the_folder(saved_model, tmp_path):
    _edit(saved_model, lambda d: d["flavors"]["sklearn"].__setitem__("code", "../../somewhere"))
    with pytest.raises(ModelIntegrityError, match=r"flavors\.sklearn\.code is '\.\./\.\./somewhere'"):
        mltrail.sklearn.load_model(saved_model, verify=False)
    _edit(saved_model, lambda d: d["flavors"]["sklearn"].pop("code"))
    _edit(saved_model, lambda d: d["saved_input_example_info"].__setitem__("artifact_path", "/etc/passwd"))
    with pytest.raises(ModelIntegrityError, match=r"saved_input_example_info\.artifact_path is '/etc/passwd'"):
        mltrail.pyfunc.load_model(saved_model, verify=False)
    from mltrail.models import Model

    with pytest.raises(ModelIntegrityError, match="saved_input_example_info.artifact_path"):
        Model.load(saved_model).load_input_example(saved_model)


def test_python_model_artifacts_may_not_leave_the_folder(tmp_path):
    class AddOne(mltrail.pyfunc.PythonModel):
        def predict(self, context, model_input):
            return [open(context.artifacts["table"]).read()]

    table = tmp_path / "table.txt"
    table.write_text("inside")
    path = str(tmp_path / "pm")
    mltrail.pyfunc.save_model(path, python_model=AddOne(), artifacts={"table": str(table)})
    assert mltrail.pyfunc.load_model(path).predict([1]) == ["inside"]
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    _edit(path, lambda d: d["flavors"]["python_function"]["artifacts"]["table"].__setitem__("path", "../secret.txt"))
    with pytest.raises(ModelIntegrityError, match=r"flavors\.python_function\.artifacts\.table\.path is '\.\./secret\.txt'"):
        mltrail.pyfunc.load_model(path, verify=False)


def test_an_xgboost_data_key_may_not_leave_the_folder(tmp_path):
    xgb = pytest.importorskip("xgboost")
    X = np.arange(20, dtype=float).reshape(10, 2)
    booster = xgb.train({"max_depth": 1}, xgb.DMatrix(X, label=X[:, 0]), num_boost_round=2)
    path = str(tmp_path / "xgb")
    mltrail.xgboost.save_model(booster, path)
    _edit(path, lambda d: d["flavors"]["xgboost"].__setitem__("data", "../other/model.ubj"))
    with pytest.raises(ModelIntegrityError, match=r"flavors\.xgboost\.data is '\.\./other/model\.ubj'"):
        mltrail.xgboost.load_model(path, verify=False)


def test_a_folder_whose_files_key_was_removed_is_refused_and_its_pickle_never_runs(saved_model, tmp_path, monkeypatch):
    marker = str(tmp_path / "pwned")
    _plant(os.path.join(saved_model, "model.pkl"), marker)
    _edit(saved_model, lambda d: d.pop("files"))
    for load in (mltrail.sklearn.load_model, mltrail.pyfunc.load_model):
        with pytest.raises(ModelIntegrityError, match="has no 'files' entry .* verify=False or set MLTRAIL_VERIFY_MODELS=false"):
            load(saved_model)
    assert not os.path.exists(marker)
    # The explicit opt-outs load it (and so run the pickle: the user asked for it).
    monkeypatch.setenv("MLTRAIL_VERIFY_MODELS", "false")
    assert mltrail.sklearn.load_model(saved_model) is None  # what os.mkdir returned
    assert os.path.isdir(marker)


def test_verify_false_loads_a_folder_without_hashes(saved_model, pipeline, iris_like):
    X, _ = iris_like
    _edit(saved_model, lambda d: d.pop("files"))
    model = mltrail.sklearn.load_model(saved_model, verify=False)
    np.testing.assert_array_equal(model.predict(X[:3]), pipeline.predict(X[:3]))


def test_a_model_mlflow_wrote_loads_with_an_unverified_warning(saved_model, pipeline, iris_like):
    X, _ = iris_like
    _edit(saved_model, lambda d: (d.pop("files"), d.pop("mltrail_version"), d.__setitem__("mlflow_version", "3.17.2")))
    with pytest.warns(UnverifiedModelWarning) as caught:
        model = mltrail.pyfunc.load_model(saved_model)
    (warning,) = caught
    assert str(warning.message) == (
        f"Model folder {saved_model!r} was written by MLflow 3.17.2 and records no file hashes: it is loaded unverified"
    )
    under_mutmut = "mutmut" in sys.modules  # (its trampoline adds frames of its own inside mltrail's)
    assert warning.filename == __file__ or under_mutmut  # it points at the line that loads the model
    np.testing.assert_array_equal(model.predict(X[:3]), pipeline.predict(X[:3]))
    with pytest.warns(UnverifiedModelWarning) as caught:
        mltrail.sklearn.load_model(saved_model)
    assert [w.filename for w in caught] == [__file__] or under_mutmut
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mltrail.pyfunc.load_model(saved_model, verify=False)  # opted out: no warning


def test_resolve_model_path_and_sha256_of_file(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.bin").write_bytes(b"abc")
    assert resolve_model_path(str(tmp_path), "sub/a.bin", "k") == str(tmp_path / "sub" / "a.bin")
    assert resolve_model_path(str(tmp_path), "./sub/./a.bin", "k") == str(tmp_path / "sub" / "a.bin")
    for bad in ("sub/../../x", "..", "sub\\..\\..\\x", "/abs", "C:\\x", 5):
        with pytest.raises(ModelIntegrityError, match="k is"):
            resolve_model_path(str(tmp_path), bad, "k")
    assert sha256_of_file(str(tmp_path / "sub" / "a.bin")) == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )



ESCAPE = "../evil.pkl"


@pytest.mark.parametrize(
    "flavors, example, key",
    [
        ({"f": {"pickled_model": ESCAPE}}, None, "flavors.f.pickled_model"),
        ({"broken": "not a mapping", "f": {"pickled_model": ESCAPE}}, None, "flavors.f.pickled_model"),
        ({"f": {"data": ESCAPE}}, None, "flavors.f.data"),
        ({"f": {"model_path": ESCAPE}}, None, "flavors.f.model_path"),
        ({"f": {"model_data": ESCAPE}}, None, "flavors.f.model_data"),
        ({"f": {"python_model": ESCAPE}}, None, "flavors.f.python_model"),
        ({"f": {"code": ESCAPE}}, None, "flavors.f.code"),
        ({"f": {"model_file": ESCAPE}}, None, "flavors.f.model_file"),
        ({"f": {"weights_path": ESCAPE}}, None, "flavors.f.weights_path"),
        ({"f": {"vocab_file": ESCAPE}}, None, "flavors.f.vocab_file"),
        ({"f": {"env": ESCAPE}}, None, "flavors.f.env"),
        ({"f": {"env": {"conda": "conda.yaml", "virtualenv": ESCAPE}}}, None, "flavors.f.env.virtualenv"),
        ({"f": {"artifacts": {"ok": {"path": "a"}, "w": {"path": ESCAPE}}}}, None, "flavors.f.artifacts.w.path"),
        ({"f": {"artifacts": {"w": ESCAPE}}}, None, "flavors.f.artifacts.w.path"),
        ({"f": {"code_paths": ["ok.py", ESCAPE]}}, None, "flavors.f.code_paths[1]"),
        ({}, {"artifact_path": ESCAPE}, "saved_input_example_info.artifact_path"),
        ({}, {"artifact_path": "ok.json", "serving_input_path": ESCAPE}, "saved_input_example_info.serving_input_path"),
    ],
)
def test_every_kind_of_path_mlmodel_names_is_confined_and_named_by_its_key(tmp_path, flavors, example, key):
    from mltrail.models import Model
    from mltrail.models.integrity import check_mlmodel_paths

    folder = str(tmp_path / "model")
    with pytest.raises(ModelIntegrityError) as e:
        check_mlmodel_paths(folder, Model(flavors=flavors, saved_input_example_info=example))
    assert e.value.message == (
        f"Model folder {folder!r}: MLmodel's {key} is {ESCAPE!r}, a path with a '..' segment; every path in MLmodel "
        "must stay inside the model folder"
    )


def test_values_that_are_not_paths_are_not_checked(tmp_path):
    from mltrail.models import Model
    from mltrail.models.integrity import check_mlmodel_paths

    flavors = {
        "f": {"sklearn_version": ESCAPE, "serialization_format": "/abs", "model_path": None, "env": None,
              "code_paths": ESCAPE, "artifacts": ESCAPE, "env_vars": [ESCAPE]},
        "g": {"env": {"conda": None, "virtualenv": "python_env.yaml"}, "code_paths": ["c.py"],
              "artifacts": {"a": {"path": "data/a.csv"}}, "pickled_model": "model.pkl"},
        "broken": ESCAPE,
    }
    check_mlmodel_paths(str(tmp_path), Model(flavors=flavors, saved_input_example_info={"artifact_path": None}))
    check_mlmodel_paths(str(tmp_path), Model(flavors=None, saved_input_example_info=ESCAPE))


@pytest.mark.parametrize(
    "rel, rule",
    [
        ("/etc/passwd", "an absolute path"),
        ("\\evil", "an absolute path"),
        ("C:evil", "an absolute path"),
        ("z:\\evil", "an absolute path"),
        ("a\\..\\..\\evil", "a path with a '..' segment"),
        (3, "a int, not a relative path"),
        (None, "a NoneType, not a relative path"),
    ],
)
def test_a_path_leaving_the_folder_is_refused_with_the_key_value_and_rule(tmp_path, rel, rule):
    with pytest.raises(ModelIntegrityError) as e:
        resolve_model_path(str(tmp_path), rel, "flavors.f.data")
    assert e.value.message == (
        f"Model folder {str(tmp_path)!r}: MLmodel's flavors.f.data is {rel!r}, {rule}; every path in MLmodel must "
        "stay inside the model folder"
    )


def test_paths_inside_the_folder_resolve_and_a_sibling_with_the_same_prefix_is_outside(tmp_path):
    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    assert resolve_model_path(str(folder), "1:not-a-drive", "k") == str(folder / "1:not-a-drive")
    assert resolve_model_path(str(folder), ".", "k") == str(folder)
    assert resolve_model_path(str(folder), "sub//./x", "k") == str(folder / "sub" / "x")
    assert resolve_model_path("/", "etc", "k") == "/etc"  # a model at the filesystem root
    sibling = tmp_path / "model-evil"
    sibling.mkdir()
    os.symlink(sibling, folder / "link")
    with pytest.raises(ModelIntegrityError, match=f"which resolves to {str(sibling)!r} outside the folder"):
        resolve_model_path(str(folder), "link", "k")


def test_only_a_model_without_hashes_and_with_an_mlflow_version_counts_as_written_by_mlflow():
    from mltrail.models import Model
    from mltrail.models.integrity import written_by_mlflow

    assert written_by_mlflow(Model(mlflow_version="2.9.2")) is True
    assert written_by_mlflow(Model(mlflow_version="2.9.2", files={})) is False
    assert written_by_mlflow(Model(mlflow_version="")) is False
    assert written_by_mlflow(Model()) is False

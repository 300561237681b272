"""Loading refuses a model folder whose files changed since it was saved, naming the file."""

from __future__ import annotations

import os

import numpy as np
import pytest

import mltrail
from mltrail.exceptions import ModelIntegrityError


def test_a_changed_file_is_named(saved_model):
    with open(os.path.join(saved_model, "requirements.txt"), "a") as f:
        f.write("evil-package==6.6.6\n")
    with pytest.raises(ModelIntegrityError, match="file 'requirements.txt' has .* bytes, MLmodel records"):
        mltrail.sklearn.load_model(saved_model)


def test_a_same_size_change_is_caught_by_the_hash(saved_model):
    path = os.path.join(saved_model, "model.pkl")
    data = bytearray(open(path, "rb").read())
    data[-5] ^= 0xFF
    open(path, "wb").write(bytes(data))
    with pytest.raises(ModelIntegrityError, match="file 'model.pkl' does not match its sha256"):
        mltrail.pyfunc.load_model(saved_model)


def test_an_added_file_is_named(saved_model):
    os.makedirs(os.path.join(saved_model, "code"))
    open(os.path.join(saved_model, "code", "hook.py"), "w").write("import os\n")
    with pytest.raises(ModelIntegrityError, match="file 'code/hook.py' is not listed in MLmodel"):
        mltrail.sklearn.load_model(saved_model)


def test_a_removed_file_is_named(saved_model):
    os.remove(os.path.join(saved_model, "conda.yaml"))
    with pytest.raises(ModelIntegrityError, match="file 'conda.yaml' listed in MLmodel is missing"):
        mltrail.pyfunc.load_model(saved_model)


def test_verify_false_and_the_environment_variable_opt_out(saved_model, pipeline, iris_like, monkeypatch):
    X, _ = iris_like
    with open(os.path.join(saved_model, "conda.yaml"), "a") as f:
        f.write("# edited by hand\n")
    model = mltrail.sklearn.load_model(saved_model, verify=False)
    np.testing.assert_array_equal(model.predict(X[:3]), pipeline.predict(X[:3]))
    monkeypatch.setenv("MLTRAIL_VERIFY_MODELS", "false")
    assert mltrail.pyfunc.load_model(saved_model).predict(X[:3]).tolist() == pipeline.predict(X[:3]).tolist()
    with pytest.raises(ModelIntegrityError):
        mltrail.pyfunc.load_model(saved_model, verify=True)  # the argument wins over the variable

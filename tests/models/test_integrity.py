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


def test_a_link_to_a_folder_added_after_saving_is_named_not_followed(saved_model, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "payload.py").write_text("import os\n")
    os.symlink(outside, os.path.join(saved_model, "extras"))
    with pytest.raises(ModelIntegrityError, match="file 'extras' is not listed in MLmodel"):
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


HINT = " (load with verify=False or set MLTRAIL_VERIFY_MODELS=false to skip this check)"


def _folder(root, files: dict[str, bytes]) -> str:
    for rel, data in files.items():
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        with open(os.path.join(root, rel), "wb") as f:
            f.write(data)
    return str(root)


def test_every_file_but_the_top_mlmodel_is_hashed_whole_even_beyond_one_read(tmp_path):
    import hashlib

    from mltrail.models.integrity import hash_folder, verify_folder

    big = bytes(range(256)) * (10 * 1024 + 3)  # 2.5 MiB: several reads of 1 MiB
    root = _folder(tmp_path, {"MLmodel": b"x", "b.bin": big, "sub/MLmodel": b"nested", "sub/deeper/a": b""})
    files = hash_folder(root)
    assert files == {
        "b.bin": {"sha256": hashlib.sha256(big).hexdigest(), "size": len(big)},
        "sub/MLmodel": {"sha256": hashlib.sha256(b"nested").hexdigest(), "size": 6},
        "sub/deeper/a": {"sha256": hashlib.sha256(b"").hexdigest(), "size": 0},
    }
    verify_folder(root, files)
    changed = bytearray(big)
    changed[(1 << 20) + 7] ^= 1  # same size, one byte in the second read
    _folder(tmp_path, {"b.bin": bytes(changed)})
    with pytest.raises(ModelIntegrityError) as e:
        verify_folder(root, files)
    assert e.value.message == (
        f"Model folder {root!r} was modified: file 'b.bin' does not match its sha256 in MLmodel" + HINT
    )


def test_verdicts_name_the_first_file_and_the_sizes(tmp_path):
    from mltrail.models.integrity import hash_folder, verify_folder

    root = _folder(tmp_path, {"a": b"1", "b": b"22", "c": b"333"})
    files = hash_folder(root)
    verify_folder(root, {**files, "a": {"sha256": files["a"]["sha256"]}})  # no recorded size: the hash decides
    _folder(tmp_path, {"a": b"9"})
    with pytest.raises(ModelIntegrityError, match="file 'a' does not match its sha256"):
        verify_folder(root, {**files, "a": {"sha256": files["a"]["sha256"]}})
    _folder(tmp_path, {"a": b"1", "b": b"2222"})
    with pytest.raises(ModelIntegrityError) as e:
        verify_folder(root, files)
    assert e.value.message == f"Model folder {root!r} was modified: file 'b' has 4 bytes, MLmodel records 2" + HINT
    with pytest.raises(ModelIntegrityError) as e:
        verify_folder(root, {**files, "z1": files["a"], "y2": files["a"]})
    assert e.value.message == f"Model folder {root!r} is incomplete: file 'y2' listed in MLmodel is missing" + HINT
    with pytest.raises(ModelIntegrityError) as e:
        verify_folder(root, {"c": files["c"]})
    assert e.value.message == (
        f"Model folder {root!r} was modified: file 'a' is not listed in MLmodel (it was added after saving)" + HINT
    )


@pytest.mark.parametrize(
    "files, rule",
    [
        ([], "expected a mapping of file paths, got list []"),
        ({"a": {"sha256": "0" * 64, "size": True}}, "file 'a' has size True, expected a whole number of bytes"),
        ({"a": {"sha256": "0" * 64, "size": 1.0}}, "file 'a' has size 1.0, expected a whole number of bytes"),
        ({"a": {"size": 1}}, "file 'a' has {'size': 1}, expected {sha256: <hex digest>, size: <bytes>}"),
    ],
)
def test_a_malformed_files_entry_names_the_file_and_the_rule(tmp_path, files, rule):
    from mltrail.models.integrity import verify_folder

    root = _folder(tmp_path, {"a": b"1"})
    with pytest.raises(ModelIntegrityError) as e:
        verify_folder(root, files)
    assert e.value.message == f"Model folder {root!r}: MLmodel's 'files' entry is malformed: {rule}" + HINT


@pytest.mark.parametrize(
    "value, enabled",
    [("", True), ("1", True), ("true", True), ("yes", True), ("0", False), ("false", False),
     ("no", False), ("off", False), (" Off ", False), ("FALSE", False), ("NO\n", False)],
)
def test_the_environment_variable_turns_verification_off_only_with_a_false_word(monkeypatch, value, enabled):
    from mltrail.models.integrity import verification_enabled

    monkeypatch.delenv("MLTRAIL_VERIFY_MODELS", raising=False)
    assert verification_enabled() is True
    monkeypatch.setenv("MLTRAIL_VERIFY_MODELS", value)
    assert verification_enabled() is enabled
    assert verification_enabled(True) is True and verification_enabled(0) is False

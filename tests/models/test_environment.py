"""Environment capture: requirements come from what the pickled model references."""

from __future__ import annotations

import os
import pickle
import sys
import textwrap

import pytest

import mltrail
from mltrail.exceptions import InvalidParameterError
from mltrail.models import environment


def _reqs(folder: str) -> list[str]:
    with open(os.path.join(folder, "requirements.txt")) as f:
        return [ln.strip() for ln in f if ln.strip()]


def _version(dist: str) -> str:
    from importlib.metadata import version

    return version(dist)


def test_requirements_pin_exactly_what_the_pipeline_needs(saved_model):
    reqs = _reqs(saved_model)
    assert f"scikit-learn=={_version('scikit-learn')}" in reqs
    assert f"cloudpickle=={_version('cloudpickle')}" in reqs
    assert f"numpy=={_version('numpy')}" in reqs
    # Installed but not referenced by the model: not a requirement.
    names = {r.split("==")[0] for r in reqs}
    assert not names & {"xgboost", "pandas", "SQLAlchemy", "hyperopt", "PyYAML"}
    # The python_function loader lives in mltrail: a serving environment needs it.
    assert f"mltrail=={_version('mltrail')}" in reqs


def test_env_files_agree_with_requirements(saved_model):
    import platform

    import yaml

    reqs = _reqs(saved_model)
    conda = yaml.safe_load(open(os.path.join(saved_model, "conda.yaml")))
    assert f"python={platform.python_version()}" in conda["dependencies"]
    pip_section = [d for d in conda["dependencies"] if isinstance(d, dict)][0]["pip"]
    assert pip_section == reqs
    pyenv = yaml.safe_load(open(os.path.join(saved_model, "python_env.yaml")))
    assert pyenv["python"] == platform.python_version()
    assert pyenv["dependencies"] == ["-r requirements.txt"]


def test_pickle_walk_finds_modules_without_unpickling():
    import collections
    import fractions

    data = pickle.dumps({"a": collections.OrderedDict(), "b": fractions.Fraction(1, 3)}, protocol=5)
    assert environment.modules_referenced_by_pickle(data) >= {"collections", "fractions"}
    assert environment.modules_referenced_by_pickle(pickle.dumps([1, "x"], protocol=2)) == set()


@pytest.fixture
def user_package(tmp_path, monkeypatch):
    """A transformer class in an installed user distribution ('acme-features' providing 'acme_feats')."""
    site = tmp_path / "site"
    pkg = site / "acme_feats"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(textwrap.dedent("""
        from sklearn.base import BaseEstimator, TransformerMixin

        class Doubler(TransformerMixin, BaseEstimator):
            def fit(self, X, y=None):
                return self

            def transform(self, X):
                return X * 2
    """))
    dist = site / "acme_features-2.3.4.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-features\nVersion: 2.3.4\n")
    (dist / "top_level.txt").write_text("acme_feats\n")
    local = tmp_path / "local"
    local.mkdir()
    (local / "shop_helpers.py").write_text(textwrap.dedent("""
        from sklearn.base import BaseEstimator, TransformerMixin

        class Halver(TransformerMixin, BaseEstimator):
            def fit(self, X, y=None):
                return self

            def transform(self, X):
                return X / 2
    """))
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(local))
    _forget_environment_caches()
    yield
    for name in ("acme_feats", "shop_helpers"):
        sys.modules.pop(name, None)
    _forget_environment_caches()


def _forget_environment_caches() -> None:
    import importlib

    importlib.invalidate_caches()
    environment._packages_distributions = None
    environment._infer_cached.cache_clear()
    environment.installed_version.cache_clear()


def test_custom_transformers_map_to_their_distribution_or_are_named_as_local(user_package, tmp_path, iris_like):
    from acme_feats import Doubler
    from shop_helpers import Halver
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    X, y = iris_like
    pipe = make_pipeline(Doubler(), Halver(), LogisticRegression()).fit(X, y)
    path = str(tmp_path / "m")
    mltrail.sklearn.save_model(pipe, path)
    text = open(os.path.join(path, "requirements.txt")).read()
    assert "acme-features==2.3.4" in _reqs(path)
    # not installed as a distribution: recorded by name, in a comment pip ignores
    comment = [ln for ln in text.splitlines() if ln.startswith("#") and "shop_helpers" in ln]
    assert comment, text
    assert not any(r.startswith("shop_helpers") for r in _reqs(path) if not r.startswith("#"))


def test_pip_requirements_replace_and_extra_pip_requirements_extend(tmp_path, pipeline):
    a = str(tmp_path / "a")
    mltrail.sklearn.save_model(pipeline, a, pip_requirements=["scikit-learn", "my-private-pkg==1.0"])
    # mltrail itself comes first: MLmodel's loader module needs it (MLflow adds itself likewise)
    assert _reqs(a) == [f"mltrail=={mltrail.__version__}", "scikit-learn", "my-private-pkg==1.0"]
    b = str(tmp_path / "b")
    mltrail.sklearn.save_model(pipeline, b, extra_pip_requirements=["boto3>=1.20", "numpy<3"])
    reqs = _reqs(b)
    assert "boto3>=1.20" in reqs and "numpy<3" in reqs
    assert not any(r.startswith("numpy==") for r in reqs)  # the explicit pin replaced the inferred one
    assert any(r.startswith("scikit-learn==") for r in reqs)
    req_file = tmp_path / "reqs.txt"
    req_file.write_text("# pinned by ops\npandas==2.0.0\n")
    c = str(tmp_path / "c")
    mltrail.sklearn.save_model(pipeline, c, pip_requirements=str(req_file))
    assert _reqs(c) == [f"mltrail=={mltrail.__version__}", "pandas==2.0.0"]


def test_both_requirement_arguments_are_refused_before_anything_is_written(tmp_path, pipeline):
    target = tmp_path / "m"
    with pytest.raises(InvalidParameterError, match="cannot both be given"):
        mltrail.sklearn.save_model(pipeline, str(target), pip_requirements=["a"], extra_pip_requirements=["b"])
    assert not target.exists()
    assert os.listdir(tmp_path) == []


def test_a_missing_requirements_file_is_named(tmp_path, pipeline):
    with pytest.raises(InvalidParameterError, match="nope.txt"):
        mltrail.sklearn.save_model(pipeline, str(tmp_path / "m"), pip_requirements=str(tmp_path / "nope.txt"))
    assert os.listdir(tmp_path) == []


def test_classes_pickled_by_value_bring_the_modules_their_code_uses(tmp_path, iris_like):
    """A transformer defined in a notebook / script (__main__) is pickled by value by cloudpickle."""
    namespace = {"__name__": "__main__"}
    exec(
        textwrap.dedent("""
            import numpy as np
            import scipy.special
            from sklearn.base import BaseEstimator, TransformerMixin

            class Squash(TransformerMixin, BaseEstimator):
                def fit(self, X, y=None):
                    return self

                def transform(self, X):
                    return scipy.special.expit(np.asarray(X))
        """),
        namespace,
    )
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    X, y = iris_like
    pipe = make_pipeline(namespace["Squash"](), LogisticRegression()).fit(X.to_numpy(), y)
    path = str(tmp_path / "m")
    mltrail.sklearn.save_model(pipe, path)
    names = {r.split("==")[0] for r in _reqs(path)}
    assert {"scipy", "numpy", "scikit-learn", "cloudpickle"} <= names
    loaded = mltrail.sklearn.load_model(path)
    assert (loaded.predict(X.to_numpy()) == pipe.predict(X.to_numpy())).all()


def test_code_paths_ship_a_local_module_with_the_model(user_package, tmp_path, iris_like):
    import subprocess

    from shop_helpers import Halver
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    X, y = iris_like
    pipe = make_pipeline(Halver(), LogisticRegression()).fit(X, y)
    module_file = tmp_path / "local" / "shop_helpers.py"
    path = str(tmp_path / "m")
    mltrail.sklearn.save_model(pipe, path, code_paths=[str(module_file)])
    assert os.path.isfile(os.path.join(path, "code", "shop_helpers.py"))
    X[:3].to_csv(tmp_path / "x.csv", index=False)
    # A fresh interpreter where shop_helpers is not importable except from the model's code/.
    script = (
        "import sys, pandas as pd, mltrail\n"
        f"m = mltrail.pyfunc.load_model({path!r})\n"
        f"print(m.predict(pd.read_csv({str(tmp_path / 'x.csv')!r})).tolist())\n"
        "print(sys.modules['shop_helpers'].__file__)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=str(tmp_path), check=True)
    lines = out.stdout.splitlines()
    assert lines[0] == str(pipe.predict(X[:3]).tolist())
    assert lines[1].startswith(os.path.join(path, "code"))
    assert not os.path.exists(os.path.join(path, "code", "__pycache__"))
    mltrail.sklearn.load_model(path)  # still passes its integrity check


def test_a_missing_code_path_is_named_before_anything_is_written(tmp_path, pipeline):
    with pytest.raises(InvalidParameterError, match="code_paths: 'nope.py' does not exist"):
        mltrail.sklearn.save_model(pipeline, str(tmp_path / "m"), code_paths=["nope.py"])
    assert not (tmp_path / "m").exists()


def test_env_files_stay_valid_yaml_for_any_requirement_string(tmp_path, pipeline):
    import yaml

    odd = ["mypkg @ git+https://example.com/repo.git#egg=mypkg", "numpy>=1.20,<3; python_version >= '3.9'", "-e ./local"]
    path = str(tmp_path / "m")
    mltrail.sklearn.save_model(pipeline, path, pip_requirements=odd)
    conda = yaml.safe_load(open(os.path.join(path, "conda.yaml")))
    assert [d for d in conda["dependencies"] if isinstance(d, dict)][0]["pip"] == [f"mltrail=={mltrail.__version__}", *odd]
    empty = str(tmp_path / "e")
    mltrail.sklearn.save_model(pipeline, empty, pip_requirements=[])
    conda = yaml.safe_load(open(os.path.join(empty, "conda.yaml")))
    assert {"pip": [f"mltrail=={mltrail.__version__}"]} in conda["dependencies"]
    assert open(os.path.join(empty, "requirements.txt")).read() == f"mltrail=={mltrail.__version__}\n"

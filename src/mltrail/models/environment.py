"""Environment capture: the pip requirements a model really needs, and its env files.

Requirements come from what the serialized model references, not from a
guess: :func:`modules_referenced_by_pickle` walks a pickle's global
references (``GLOBAL`` / ``STACK_GLOBAL`` opcodes) without loading it, each
referenced module's top-level package is mapped to its installed distribution
(``importlib.metadata.packages_distributions``) and pinned to the installed
version. No subprocess is started and every lookup is cached per process::

    >>> from mltrail.models.environment import infer_requirements
    >>> infer_requirements({"sklearn", "numpy"}, ["cloudpickle"])
    ['cloudpickle==3.1.2', 'numpy==2.4.6', 'scikit-learn==1.9.1']

A referenced module that is importable but belongs to no installed
distribution (a ``my_transformers.py`` beside the training script) cannot be
pip-installed; it is recorded by name as a comment in ``requirements.txt`` so
whoever deploys the model knows to ship that code with it.
"""

from __future__ import annotations

import functools
import os
import pickletools
import platform
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional, Sequence, Union

from ..exceptions import InvalidParameterError

CONDA_ENV_FILE = "conda.yaml"
PYTHON_ENV_FILE = "python_env.yaml"
REQUIREMENTS_FILE = "requirements.txt"
CONSTRAINTS_FILE = "constraints.txt"

# Modules that are part of the interpreter (never a pip requirement).
_STDLIB = frozenset(sys.stdlib_module_names) | {"__builtin__", "__main__", "builtins"}
_lock = threading.Lock()
_packages_distributions: Optional[dict[str, list[str]]] = None


_SUBIMPORT = object()  # marks cloudpickle's subimport(): the next string pushed is a module name
_SUBIMPORT_NAMES = frozenset({"subimport", "dynamic_subimport"})


def modules_referenced_by_pickle(data: bytes) -> set[str]:
    """Top-level modules whose globals a pickle references (without unpickling it).

    Follows ``GLOBAL`` / ``STACK_GLOBAL`` opcodes, and the module names that
    cloudpickle passes to its ``subimport`` when a class or function defined
    in ``__main__`` is pickled by value (its ``np.`` / ``scipy.`` globals).

    >>> import pickle, collections
    >>> modules_referenced_by_pickle(pickle.dumps(collections.OrderedDict()))
    {'collections'}
    """
    memo: dict[int, object] = {}
    recent: list[object] = []  # the last values pushed (strings and the subimport marker matter)
    modules: set[str] = set()

    def global_ref(module: object, name: object) -> object:
        if not isinstance(module, str):
            return None
        modules.add(module.split(".", 1)[0])
        if module.startswith("cloudpickle") and name in _SUBIMPORT_NAMES:
            return _SUBIMPORT
        return None

    for opcode, arg, _pos in pickletools.genops(data):
        name = opcode.name
        if name in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE"):
            if recent and recent[-1] is _SUBIMPORT:
                modules.add(str(arg).split(".", 1)[0])
            recent.append(arg)
        elif name == "MEMOIZE":
            memo[len(memo)] = recent[-1] if recent else None
            continue
        elif name in ("BINPUT", "LONG_BINPUT", "PUT"):
            memo[int(arg)] = recent[-1] if recent else None
            continue
        elif name in ("BINGET", "LONG_BINGET", "GET"):
            recent.append(memo.get(int(arg)))
        elif name in ("GLOBAL", "INST"):
            module, _, attr = str(arg).partition(" ")
            recent.append(global_ref(module, attr))
        elif name == "STACK_GLOBAL":
            pair = recent[-2:] if len(recent) >= 2 else [None, None]
            recent.append(global_ref(pair[0], pair[1]))
        elif name in ("FRAME", "PROTO", "STOP", "MARK", "POP", "POP_MARK"):
            continue
        else:
            recent.append(None)
        if len(recent) > 8:
            del recent[:-2]
    return {m for m in modules if m}


def packages_distributions() -> dict[str, list[str]]:
    """Top-level import name -> distribution names (computed once per process).

    >>> packages_distributions()["sklearn"]
    ['scikit_learn']

    Same answer as ``importlib.metadata.packages_distributions()`` for
    installed distributions, read several times faster: each ``*.dist-info``
    / ``*.egg-info`` folder on ``sys.path`` gives its ``top_level.txt`` or,
    lacking one, the first path component of each ``RECORD`` line, without
    building a path object per file or parsing every METADATA file. (The
    standard function takes ~0.2 s here, paid on the first log_model.)
    """
    global _packages_distributions
    if _packages_distributions is None:
        with _lock:
            if _packages_distributions is None:
                _packages_distributions = _scan_distributions()
    return _packages_distributions


def _scan_distributions() -> dict[str, list[str]]:
    mapping: dict[str, list[str]] = {}
    seen: set[str] = set()
    for entry in sys.path:
        try:
            it = os.scandir(entry or ".")
        except OSError:
            continue
        with it:
            for d in it:
                if not d.name.endswith((".dist-info", ".egg-info")) or not d.is_dir():
                    continue
                dist = d.name.rsplit(".", 1)[0].split("-", 1)[0]
                key = _normalise_name(dist)
                if key in seen:  # an earlier sys.path entry wins, as for imports
                    continue
                seen.add(key)
                for top in _top_levels(d.path):
                    owners = mapping.setdefault(top, [])
                    if dist not in owners:
                        owners.append(dist)
    return mapping


def _top_levels(info_dir: str) -> set[str]:
    try:
        with open(os.path.join(info_dir, "top_level.txt"), encoding="utf-8") as f:
            names = {ln.strip().split("/", 1)[0] for ln in f if ln.strip()}
        if names:
            return names
    except OSError:
        pass
    tops: set[str] = set()
    try:
        with open(os.path.join(info_dir, "RECORD"), encoding="utf-8") as f:
            for line in f:
                path = line.split(",", 1)[0]
                if not path or path.startswith(("..", "/")):
                    continue
                first = path.split("/", 1)[0]
                if "/" in path:
                    if first.isidentifier() and first != "__pycache__":  # not *.dist-info, *.libs
                        tops.add(first)
                elif first.endswith(".py"):
                    tops.add(first[:-3])
                elif ".cpython-" in first or first.endswith((".so", ".pyd")):
                    tops.add(first.split(".", 1)[0])
    except OSError:
        pass
    return tops


@functools.lru_cache(maxsize=None)
def distribution_name(dist: str) -> str:
    """The distribution's own spelling of its name.

    >>> distribution_name("scikit_learn")
    'scikit-learn'
    """
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        return distribution(dist).metadata["Name"] or dist
    except PackageNotFoundError:
        return dist


@functools.lru_cache(maxsize=None)
def installed_version(distribution: str) -> Optional[str]:
    """The installed version of ``distribution``, or None when it is not installed.

    >>> installed_version("numpy"), installed_version("no-such-dist")
    ('2.4.6', None)
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def _normalise_name(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


@dataclass(frozen=True)
class Requirements:
    """Pinned pip requirements plus the local modules no distribution provides.

    ``constraints`` go to ``constraints.txt``; ``conda_env`` is a user-given
    conda environment written as ``conda.yaml`` instead of the generated one.

    >>> Requirements(("numpy==2.4.6",), ("my_transformers",))
    """

    pip: tuple[str, ...]
    local_modules: tuple[str, ...] = field(default=())
    constraints: tuple[str, ...] = field(default=())
    conda_env: Optional[dict[str, Any]] = field(default=None, compare=False, hash=False)


@functools.lru_cache(maxsize=256)
def _infer_cached(modules: frozenset[str], always: tuple[str, ...]) -> Requirements:
    dists: dict[str, str] = {}
    local: set[str] = set()
    mapping = None
    for top in sorted(modules):
        if top in _STDLIB:
            continue
        if mapping is None:
            mapping = packages_distributions()
        owners = mapping.get(top)
        if owners:
            for dist in owners:
                dists.setdefault(_normalise_name(dist), dist)
        elif top in sys.modules or _is_importable(top):
            # Importable but not installed as a distribution (a local module
            # next to the training code): pip cannot install it, so it is
            # recorded by name, as a comment in requirements.txt.
            local.add(top)
    for dist in always:
        dists.setdefault(_normalise_name(dist), dist)
    pins = []
    for key in sorted(dists):
        dist = distribution_name(dists[key])
        version = installed_version(dist)
        pins.append(f"{dist}=={version}" if version else dist)
    return Requirements(tuple(pins), tuple(sorted(local)))


def _is_importable(top: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def infer_requirements(modules: Iterable[str], always: Sequence[str] = ()) -> list[str]:
    """Pinned requirements for the top-level ``modules`` plus the distributions in ``always``.

    >>> infer_requirements({"numpy", "os"}, ["cloudpickle"])
    ['cloudpickle==3.1.2', 'numpy==2.4.6']
    """
    return list(_infer_cached(frozenset(modules), tuple(always)).pip)


def check_requirement_args(pip_requirements: Any, extra_pip_requirements: Any, conda_env: Any = None) -> None:
    """Refuse more than one of ``conda_env``, ``pip_requirements`` and ``extra_pip_requirements`` (InvalidParameterError).

    >>> check_requirement_args(["scikit-learn"], ["boto3"])
    Traceback (most recent call last):
    ...
    mltrail.exceptions.InvalidParameterError: pip_requirements and extra_pip_requirements cannot both be given: ...
    """
    given = [n for n, v in (("conda_env", conda_env), ("pip_requirements", pip_requirements),
                            ("extra_pip_requirements", extra_pip_requirements)) if v is not None]
    if len(given) > 1:
        raise InvalidParameterError(
            f"{' and '.join(given)} cannot both be given: pip_requirements replaces the inferred "
            "requirements, extra_pip_requirements extends them, conda_env replaces the whole environment"
        )


def resolve_requirements(
    modules: Iterable[str],
    always: Sequence[str],
    pip_requirements: Union[None, str, Sequence[str]] = None,
    extra_pip_requirements: Union[None, str, Sequence[str]] = None,
    conda_env: Any = None,
) -> Requirements:
    """The requirements to write: inferred, replaced by ``pip_requirements`` or extended by ``extra_pip_requirements``.

    Either argument may be a list of requirement strings or the path of a
    requirements file; ``-r file`` lines are inlined and ``-c file`` lines
    become constraints (see :mod:`mltrail.models.requirement_args`).
    ``conda_env`` (a dict or YAML path) replaces the inferred environment
    with its own, its ``pip:`` entries being the requirements. Only one of
    the three may be given. mltrail itself is always a requirement (the
    loader module of every model it saves), as MLflow adds itself.

    >>> resolve_requirements({"sklearn"}, ["cloudpickle"], extra_pip_requirements=["boto3"]).pip
    ('cloudpickle==3.1.2', 'scikit-learn==1.9.1', 'boto3')
    """
    from .requirement_args import conda_pip_deps, parse_requirements, read_conda_env

    check_requirement_args(pip_requirements, extra_pip_requirements, conda_env)
    if conda_env is not None:
        env = read_conda_env(conda_env)
        pip, constraints = parse_requirements(conda_pip_deps(env), "conda_env")
        return Requirements(_with_mltrail(pip), constraints=tuple(constraints), conda_env=env)
    if pip_requirements is not None:
        pip, constraints = parse_requirements(pip_requirements, "pip_requirements")
        return Requirements(_with_mltrail(pip), constraints=tuple(constraints))
    inferred = _infer_cached(frozenset(modules), tuple(always))
    if extra_pip_requirements is None:
        return inferred
    extra, constraints = parse_requirements(extra_pip_requirements, "extra_pip_requirements")
    names = {requirement_name(r) for r in extra}
    kept = [r for r in inferred.pip if requirement_name(r) not in names]
    return Requirements(tuple(kept + extra), inferred.local_modules, tuple(constraints))


def _with_mltrail(pip: Sequence[str]) -> tuple[str, ...]:
    """``pip`` with mltrail (pinned to this version) first unless it names mltrail already."""
    if any(requirement_name(r) == "mltrail" for r in pip):
        return tuple(pip)
    return (*_infer_cached(frozenset(), ("mltrail",)).pip, *pip)


def requirement_name(req: str) -> str:
    """The normalised distribution name a pip requirement line names (version, extras, markers dropped).

    >>> requirement_name("Scikit_Learn[alldeps]>=1.3; python_version>'3.8'")
    'scikit-learn'
    """
    name = req
    for sep in ("==", ">=", "<=", "~=", "!=", ">", "<", "[", ";", " ", "@"):
        name = name.split(sep, 1)[0]
    return _normalise_name(name)


@functools.lru_cache(maxsize=1)
def _build_dependencies() -> tuple[str, ...]:
    deps = []
    for dist in ("pip", "setuptools", "wheel"):
        version = installed_version(dist)
        if version:
            deps.append(f"{dist}=={version}")
    return tuple(deps)


def python_version() -> str:
    """The running interpreter's version.

    >>> python_version()
    '3.11.7'
    """
    return platform.python_version()


def write_environment_files(directory: str, requirements: Requirements) -> dict[str, str]:
    """Write requirements.txt, python_env.yaml and conda.yaml into ``directory``.

    Returns the python_function ``env`` entry::

        >>> write_environment_files("model", Requirements(("numpy==2.4.6",)))
        {'conda': 'conda.yaml', 'virtualenv': 'python_env.yaml'}

    The YAML is small and fixed in shape, so it is written directly rather than
    through a YAML emitter.
    """
    lines = list(requirements.pip)
    if requirements.constraints:  # as MLflow: the constraints in their own file, named by requirements.txt
        with open(os.path.join(directory, CONSTRAINTS_FILE), "w", encoding="utf-8") as f:
            f.write("\n".join(requirements.constraints) + "\n")
        lines.append(f"-c {CONSTRAINTS_FILE}")
    req_text = "\n".join(lines)
    if requirements.local_modules:
        req_text += (
            "\n# Local modules the model references that no installed distribution provides"
            "\n# (ship them with the model: log_model(..., code_paths=[...])): "
            + ", ".join(requirements.local_modules)
        )
    with open(os.path.join(directory, REQUIREMENTS_FILE), "w", encoding="utf-8") as f:
        f.write(req_text + "\n" if req_text else "")
    pyver = python_version()
    build = "".join(f"- {_yaml_str(d)}\n" for d in _build_dependencies())
    build_block = "\n" + build if build else " []\n"
    with open(os.path.join(directory, PYTHON_ENV_FILE), "w", encoding="utf-8") as f:
        f.write(f"python: {pyver}\nbuild_dependencies:{build_block}dependencies:\n- -r requirements.txt\n")
    if requirements.conda_env is not None:
        _write_conda_env(os.path.join(directory, CONDA_ENV_FILE), requirements.conda_env, lines)
        return {"conda": CONDA_ENV_FILE, "virtualenv": PYTHON_ENV_FILE}
    pip_version = installed_version("pip")
    pip_dep = f"pip=={pip_version}" if pip_version else "pip"
    with open(os.path.join(directory, CONDA_ENV_FILE), "w", encoding="utf-8") as f:
        f.write(
            "channels:\n- conda-forge\ndependencies:\n"
            f"- python={pyver}\n- {pip_dep}\n"
            + ("- pip:\n" + "".join(f"  - {_yaml_str(r)}\n" for r in lines) if lines else "- pip: []\n")
            + "name: mltrail-env\n"
        )
    return {"conda": CONDA_ENV_FILE, "virtualenv": PYTHON_ENV_FILE}


def default_conda_env(pip: Sequence[str]) -> dict[str, Any]:
    """A flavor's default conda environment for ``pip`` (mltrail added first, as MLflow adds itself).

    >>> default_conda_env(["scikit-learn==1.9.1"])["dependencies"][-1]
    {'pip': ['mltrail==0.1.0', 'scikit-learn==1.9.1']}
    """
    pip_version = installed_version("pip")
    return {
        "name": "mltrail-env",
        "channels": ["conda-forge"],
        "dependencies": [f"python={python_version()}", f"pip<={pip_version}" if pip_version else "pip",
                         {"pip": list(_with_mltrail(pip))}],
    }


def _write_conda_env(path: str, env: dict[str, Any], pip_lines: Sequence[str]) -> None:
    """The user's conda environment with its pip entries replaced by the resolved ones."""
    import yaml

    from .requirement_args import with_pip_deps

    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(with_pip_deps(env, pip_lines), f, default_flow_style=False, sort_keys=False)


def _yaml_str(value: str) -> str:
    """Quote a requirement for YAML when it contains characters YAML would misread."""
    if any(c in value for c in ":#{}[],&*!|>'\"%@`") or value.startswith(("-", "?")):
        return "'" + value.replace("'", "''") + "'"
    return value


__all__ = [
    "CONDA_ENV_FILE",
    "CONSTRAINTS_FILE",
    "PYTHON_ENV_FILE",
    "REQUIREMENTS_FILE",
    "Requirements",
    "check_requirement_args",
    "default_conda_env",
    "infer_requirements",
    "installed_version",
    "modules_referenced_by_pickle",
    "packages_distributions",
    "python_version",
    "requirement_name",
    "resolve_requirements",
    "write_environment_files",
]

"""What the user passes as ``pip_requirements`` / ``extra_pip_requirements`` / ``conda_env``.

Requirement lists follow pip's requirements-file format, as MLflow reads
them: ``-r other.txt`` (``--requirement``) is replaced by that file's
requirements (recursively, relative paths resolved against the file that
names them, or the working directory for a list), ``-c constraints.txt``
(``--constraint``) contributes constraints, which the model folder keeps in
its own ``constraints.txt``; comments, blank lines and inline `` #``
comments are dropped and lines ending with ``\\`` are joined::

    >>> parse_requirements(["numpy==2.0", "-r extra.txt", "-c pins.txt"], "pip_requirements")
    (['numpy==2.0', 'boto3'], ['urllib3<2'])

A ``conda_env`` is a dict or the path of a YAML file; its ``pip:`` entries
are read the same way.
"""

from __future__ import annotations

import os
from typing import Any, Iterator, Sequence, Union

from ..exceptions import InvalidParameterError

RequirementArg = Union[str, "os.PathLike[str]", Sequence[str]]
_MAX_DEPTH = 32  # -r files naming each other in a loop


def _logical_lines(lines: Sequence[str]) -> Iterator[str]:
    """Stripped lines without comments, inline comments or blanks; ``\\`` continuations joined."""
    pending: list[str] = []
    for raw in lines:
        line = raw.strip()
        if " #" in line:
            line = line[: line.find(" #")].rstrip()
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        pending.append(line)
        joined = "".join(pending)
        pending.clear()
        if joined and not joined.startswith("#"):
            yield joined
    if pending:
        joined = "".join(pending)
        if joined and not joined.startswith("#"):
            yield joined


def _file_reference(line: str) -> tuple[str, str]:
    """``("r" | "c" | "", path)`` for ``-r`` / ``--requirement`` / ``-c`` / ``--constraint`` lines."""
    for prefix, kind in (("-r ", "r"), ("--requirement ", "r"), ("-c ", "c"), ("--constraint ", "c")):
        if line.startswith(prefix):
            return kind, line[len(prefix):].strip()
    return "", line


def _read_file(path: str, argument: str, depth: int) -> list[str]:
    if depth > _MAX_DEPTH:
        raise InvalidParameterError(f"{argument}: requirements files nest more than {_MAX_DEPTH} deep at {path!r} (a loop?)")
    if not os.path.isfile(path):
        raise InvalidParameterError(
            f"{argument}: requirements file {path!r} does not exist "
            "(expected a list of requirement strings or the path of an existing requirements file)"
        )
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


def _walk(
    lines: Sequence[str], base_dir: str, constraint: bool, argument: str, depth: int, out: tuple[list[str], list[str]]
) -> None:
    for line in _logical_lines(lines):
        kind, target = _file_reference(line)
        if kind:
            path = os.path.join(base_dir, os.path.expanduser(target))
            _walk(_read_file(path, argument, depth + 1), os.path.dirname(path), kind == "c", argument, depth + 1, out)
        else:
            out[1 if constraint else 0].append(line)


def parse_requirements(value: RequirementArg, argument: str) -> tuple[list[str], list[str]]:
    """``(requirements, constraints)`` from a requirements file path or a list of requirement lines.

    >>> parse_requirements(["-c pins.txt", "pandas"], "extra_pip_requirements")
    (['pandas'], ['numpy<3'])
    """
    out: tuple[list[str], list[str]] = ([], [])
    if isinstance(value, (str, os.PathLike)):
        path = os.path.abspath(os.fspath(value))
        _walk(_read_file(path, argument, 0), os.path.dirname(path), False, argument, 0, out)
        return out
    if not isinstance(value, (list, tuple)):
        raise InvalidParameterError(
            f"{argument}={value!r}: expected a list of requirement strings or the path of a requirements file"
        )
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise InvalidParameterError(f"{argument}: {item!r} is not a requirement string such as 'numpy==2.0'")
    _walk(list(value), os.getcwd(), False, argument, 0, out)
    return out


def read_conda_env(conda_env: Any) -> dict[str, Any]:
    """The conda environment given as a dict or the path of a YAML file, as a new dict.

    >>> read_conda_env({"dependencies": ["python=3.11", {"pip": ["numpy"]}]})["dependencies"][1]
    {'pip': ['numpy']}
    """
    if isinstance(conda_env, (str, os.PathLike)):
        path = os.fspath(conda_env)
        if not os.path.isfile(path):
            raise InvalidParameterError(f"conda_env={path!r}: expected a dict or the path of an existing conda YAML file")
        import yaml

        with open(path, encoding="utf-8") as f:
            try:
                loaded = yaml.safe_load(f)
            except yaml.YAMLError as e:
                raise InvalidParameterError(f"conda_env={path!r} is not valid YAML: {e}") from None
        conda_env = loaded
    if not isinstance(conda_env, dict):
        raise InvalidParameterError(
            f"conda_env: expected a dict or the path of a conda YAML file, got {type(conda_env).__name__} {conda_env!r}"
        )
    deps = conda_env.get("dependencies", [])
    if deps is not None and not isinstance(deps, list):
        raise InvalidParameterError(f"conda_env: 'dependencies' must be a list, got {deps!r}")
    import copy

    return copy.deepcopy(conda_env)


def conda_pip_deps(env: dict[str, Any]) -> list[str]:
    """The ``pip:`` entries of a conda environment (``[]`` when it has none).

    >>> conda_pip_deps({"dependencies": ["pip", {"pip": ["numpy"]}]})
    ['numpy']
    """
    found: list[str] = []
    for dep in env.get("dependencies") or []:
        if isinstance(dep, dict) and isinstance(dep.get("pip"), list):
            found.extend(str(p) for p in dep["pip"])
    return found


def conda_python_version(env: dict[str, Any]) -> str | None:
    """The ``python=X.Y`` pin of a conda environment, or None.

    >>> conda_python_version({"dependencies": ["python=3.11.7"]})
    '3.11.7'
    """
    for dep in env.get("dependencies") or []:
        if isinstance(dep, str) and dep.replace(" ", "").startswith("python="):
            return dep.replace(" ", "")[len("python="):].lstrip("=")
    return None


def with_pip_deps(env: dict[str, Any], pip_deps: Sequence[str]) -> dict[str, Any]:
    """``env`` with its ``pip:`` entry replaced in place by ``pip_deps`` (appended when it has none).

    >>> with_pip_deps({"dependencies": ["python=3.11"]}, ["numpy"])["dependencies"]
    ['python=3.11', {'pip': ['numpy']}]
    """
    deps: list[Any] = []
    replaced = False
    for dep in env.get("dependencies") or []:
        if isinstance(dep, dict) and "pip" in dep:
            if not replaced:
                deps.append({"pip": list(pip_deps)})
                replaced = True
        else:
            deps.append(dep)
    if not replaced:
        deps.append({"pip": list(pip_deps)})
    return {**env, "dependencies": deps}


__all__ = ["conda_pip_deps", "conda_python_version", "parse_requirements", "read_conda_env", "with_pip_deps"]

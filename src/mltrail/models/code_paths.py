"""Shipping local code with a model (``code_paths``) and putting it on ``sys.path`` when loading.

A custom transformer in a module beside the training script (not an
installed distribution) is pickled by reference: loading needs that module.
``code_paths=["my_transformers.py"]`` copies it into the model folder's
``code/`` folder (hashed like every other file); loading puts ``code/`` on
``sys.path`` before unpickling::

    >>> mltrail.sklearn.log_model(pipe, "model", code_paths=["my_transformers.py"])
    >>> mltrail.sklearn.load_model(uri)      # imports my_transformers from the model's code/

While a model loads, Python does not write ``__pycache__`` into ``code/``
(it would add files the integrity check then refuses).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from typing import Any, Iterator, Optional, Sequence

from ..exceptions import InvalidParameterError

CODE_DIR = "code"


def check_code_paths(code_paths: Optional[Sequence[str]]) -> list[str]:
    """Absolute paths of ``code_paths``; raise naming the first that does not exist (before anything is written).

    >>> check_code_paths(["my_transformers.py"])
    ['/work/project/my_transformers.py']
    """
    if code_paths is None:
        return []
    if isinstance(code_paths, (str, os.PathLike)):
        raise InvalidParameterError(
            f"code_paths={os.fspath(code_paths)!r}: expected a list of files or folders, e.g. ['my_transformers.py']"
        )
    out = []
    for p in code_paths:
        path = os.path.abspath(os.fspath(p))
        if not os.path.exists(path):
            raise InvalidParameterError(f"code_paths: {os.fspath(p)!r} does not exist")
        out.append(path)
    names = [os.path.basename(p) for p in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InvalidParameterError(f"code_paths: two entries are both named {dupes[0]!r} (they would overwrite each other)")
    return out


def copy_code(paths: list[str], folder: str) -> Optional[str]:
    """Copy checked ``paths`` into ``folder/code``; return the flavor's ``code`` entry (None when empty).

    >>> copy_code(["/work/project/my_transformers.py"], "model")
    'code'
    """
    if not paths:
        return None
    dest = os.path.join(folder, CODE_DIR)
    os.makedirs(dest)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for path in paths:
        target = os.path.join(dest, os.path.basename(path))
        if os.path.isdir(path):
            shutil.copytree(path, target, ignore=ignore)
        else:
            shutil.copyfile(path, target)
    return CODE_DIR


@contextlib.contextmanager
def code_on_path(folder: str, flavor_conf: dict[str, Any]) -> Iterator[None]:
    """Put the model's ``code/`` first on ``sys.path`` (it stays, as imports may happen later).

    >>> with code_on_path("model", {"code": "code"}):
    ...     model = load_pickle("model/model.pkl", "cloudpickle")
    """
    code = flavor_conf.get("code")
    if not code:
        yield
        return
    path = os.path.join(folder, code)
    if path not in sys.path:
        sys.path.insert(0, path)
    previous = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        yield
    finally:
        sys.dont_write_bytecode = previous


__all__ = ["CODE_DIR", "check_code_paths", "code_on_path", "copy_code"]

"""Pickle-based model files (``cloudpickle``, ``pickle``), shared by flavors.

Dumping returns the top-level modules the pickle references, which is what
environment capture pins. Loading turns a truncated or corrupt file into a
clear :class:`InvalidParameterError` naming the file::

    >>> modules = dump_pickle(model, "model.pkl", "cloudpickle")
    >>> sorted(modules)
    ['numpy', 'sklearn']
    >>> load_pickle("model.pkl", "cloudpickle")
"""

from __future__ import annotations

import os
import pickle
from typing import Any

from ..exceptions import InvalidParameterError
from .environment import modules_referenced_by_pickle

PICKLE_FORMATS = ("cloudpickle", "pickle")


def dump_pickle(obj: Any, path: str, fmt: str) -> set[str]:
    """Write ``obj`` to ``path`` with ``fmt`` and return the top-level modules it references.

    >>> dump_pickle(pipe, "model.pkl", "cloudpickle")
    {'numpy', 'sklearn'}
    """
    if fmt not in PICKLE_FORMATS:
        raise InvalidParameterError(f"Pickle format {fmt!r} is not one of {list(PICKLE_FORMATS)}")
    try:
        if fmt == "cloudpickle":
            import cloudpickle

            data = cloudpickle.dumps(obj, protocol=pickle.DEFAULT_PROTOCOL)
        else:
            data = pickle.dumps(obj, protocol=pickle.DEFAULT_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError) as e:  # e.g. a generator or a lock inside
        raise InvalidParameterError(
            f"Cannot save the {type(obj).__name__} model with {fmt}: {type(e).__name__}: {e}"
        ) from None
    with open(path, "wb") as f:
        f.write(data)
    return modules_referenced_by_pickle(data)


def load_pickle(path: str, fmt: str) -> Any:
    """Read a pickled model file; a corrupt or truncated file raises naming it.

    >>> load_pickle("model.pkl", "cloudpickle")
    Pipeline(steps=[...])
    """
    if fmt not in PICKLE_FORMATS:
        raise InvalidParameterError(f"Model file {os.path.basename(path)!r}: unknown serialization format {fmt!r}")
    with open(path, "rb") as f:
        data = f.read()
    try:
        if fmt == "cloudpickle":
            import cloudpickle

            return cloudpickle.loads(data)
        return pickle.loads(data)
    except ModuleNotFoundError as e:
        raise InvalidParameterError(
            f"Model file {path!r} needs module {e.name!r}, which is not installed here "
            "(see the model's requirements.txt)"
        ) from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError) as e:
        raise InvalidParameterError(
            f"Model file {path!r} is not a valid {fmt} file (corrupt or truncated): {type(e).__name__}: {e}"
        ) from None


__all__ = ["PICKLE_FORMATS", "dump_pickle", "load_pickle"]

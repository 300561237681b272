"""What every dataset builder shares: the content digest, the source, the Dataset itself.

The digest hashes the data's shape and dtypes plus a bounded, evenly spaced
sample of rows (at most :data:`SAMPLE_BYTES` of row data, first and last row
included), so it costs well under a millisecond whatever the data's size,
and changes when the shape, the dtypes or the sampled values change.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from typing import Any, Optional

from .._system_tags import SOURCE_NAME
from ..entities import Dataset
from ..exceptions import InvalidParameterError

#: Row bytes hashed at most per array (first, last and evenly spaced rows in between).
SAMPLE_BYTES = 256 * 1024
DEFAULT_NAME = "dataset"


def new_hasher() -> Any:
    """The hash object a digest is built with (``hexdigest()`` gives 16 hex characters)."""
    return hashlib.blake2b(digest_size=8)


def sample_rows(n_rows: int, row_bytes: int) -> Optional[Any]:
    """Row indices to hash when hashing every row would pass :data:`SAMPLE_BYTES`; None to hash all."""
    cap = max(2, SAMPLE_BYTES // max(1, row_bytes))
    if n_rows <= cap:
        return None
    import numpy as np

    return np.linspace(0, n_rows - 1, cap).astype(np.int64)


def hash_array(hasher: Any, array: Any) -> None:
    """Feed an array's shape, dtype and sampled rows to ``hasher``."""
    import numpy as np

    hasher.update(f"{array.shape}|{array.dtype.str}|".encode())
    if array.ndim == 0:
        hasher.update(repr(array.item()).encode())
        return
    row_bytes = array.itemsize * (array.size // array.shape[0] if array.shape[0] else 0)
    rows = sample_rows(array.shape[0], row_bytes)
    sample = array if rows is None else array[rows]
    if sample.dtype.hasobject:
        hasher.update(repr(sample.tolist()).encode())
    else:
        hasher.update(np.ascontiguousarray(sample).view(np.uint8).ravel() if sample.size else b"")


def source_fields(source: Optional[str]) -> tuple[str, str]:
    """``(source_type, source JSON)``: a URI's scheme (``local`` for paths), or ``code`` when None."""
    if source is None:
        script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "<interactive>"
        return "code", json.dumps({"tags": {SOURCE_NAME: script}})
    if not isinstance(source, str) or not source:
        raise InvalidParameterError(f"Invalid dataset source {source!r}: expected a path or a URI string")
    scheme, sep, _ = source.partition("://")
    if sep and scheme:
        return ("local" if scheme == "file" else scheme.lower()), json.dumps({"uri": source})
    return "local", json.dumps({"uri": os.path.abspath(source)})


def make_dataset(
    name: Optional[str], digest: str, source: Optional[str], schema: dict[str, Any], profile: dict[str, Any]
) -> Dataset:
    """A :class:`~mltrail.entities.Dataset` from a builder's digest, schema and profile."""
    if name is not None and (not isinstance(name, str) or not name):
        raise InvalidParameterError(f"Invalid dataset name {name!r}: expected a non-empty string")
    source_type, source_json = source_fields(source)
    return Dataset(
        name=name or DEFAULT_NAME,
        digest=digest,
        source_type=source_type,
        source=source_json,
        schema=json.dumps(schema),
        profile=json.dumps(profile),
    )


def from_description(
    digest: str,
    schema: dict[str, Any],
    profile: dict[str, Any],
    source: Optional[str] = None,
    name: Optional[str] = None,
) -> Dataset:
    """A dataset whose digest, schema and profile the caller computed (data mltrail cannot read itself).

    For integrations: an xgboost ``DMatrix`` is described by its shape,
    feature names and a sample of its labels.

    >>> ds = mltrail.data.from_description("9c1e2b7a", {"feature_names": ["a", "b"]}, {"num_rows": 100}, name="dtrain")
    >>> ds.digest
    '9c1e2b7a'
    """
    if not isinstance(digest, str) or not digest:
        raise InvalidParameterError(f"Invalid dataset digest {digest!r}: expected a non-empty string")
    return make_dataset(name, digest, source, schema, profile)

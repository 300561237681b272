"""Integrity of a model folder: the sha256 and size of every file, checked on load.

The MLmodel file records ``files: {relative/path: {sha256: ..., size: ...}}``
for every file in the folder except MLmodel itself. Loading compares the
folder against it and refuses a folder where a file was changed, added or
removed, naming the file::

    >>> files = hash_folder("/tmp/model")
    >>> verify_folder("/tmp/model", files)       # raises ModelIntegrityError when tampered

People who edit model folders on purpose opt out with ``verify=False`` on the
load functions, or for a whole process with ``MLTRAIL_VERIFY_MODELS=false``.
"""

from __future__ import annotations

import hashlib
import os
from typing import Optional

from ..exceptions import ModelIntegrityError

MLMODEL_FILE_NAME = "MLmodel"
VERIFY_ENV = "MLTRAIL_VERIFY_MODELS"
_CHUNK = 1 << 20


def file_digest(path: str) -> tuple[str, int]:
    """Return ``(sha256 hex, size in bytes)`` of the file at ``path``.

    >>> file_digest("model/model.pkl")
    ('15af1ad9...', 1325)
    """
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while True:
            chunk = f.read(_CHUNK)
            if not chunk:
                break
            size += len(chunk)
            h.update(chunk)
    return h.hexdigest(), size


def _walk(root: str) -> list[str]:
    """Relative POSIX paths of every file under ``root`` except the top-level MLmodel."""
    found = []
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        with os.scandir(os.path.join(root, rel_dir) if rel_dir else root) as it:
            for entry in it:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                if entry.is_dir(follow_symlinks=False):
                    stack.append(rel)
                elif rel != MLMODEL_FILE_NAME:
                    found.append(rel)
    return sorted(found)


def hash_folder(root: str) -> dict[str, dict[str, object]]:
    """``{relative path: {"sha256": hex, "size": bytes}}`` for every file except MLmodel.

    >>> sorted(hash_folder("model"))
    ['conda.yaml', 'model.pkl', 'python_env.yaml', 'requirements.txt']
    """
    out: dict[str, dict[str, object]] = {}
    for rel in _walk(root):
        digest, size = file_digest(os.path.join(root, rel))
        out[rel] = {"sha256": digest, "size": size}
    return out


def verification_enabled(verify: Optional[bool] = None) -> bool:
    """``verify`` when given, else the ``MLTRAIL_VERIFY_MODELS`` environment variable (default on).

    >>> verification_enabled(False), verification_enabled()
    (False, True)
    """
    if verify is not None:
        return bool(verify)
    value = os.environ.get(VERIFY_ENV, "").strip().lower()
    return value not in ("0", "false", "no", "off")


def _check_files_entry(root: str, files: object, hint: str) -> None:
    """Refuse an MLmodel whose ``files`` is not ``{path: {sha256: str, size: int}}`` (hand-edited or corrupt)."""

    def bad(rule: str) -> ModelIntegrityError:
        return ModelIntegrityError(f"Model folder {root!r}: MLmodel's 'files' entry is malformed: {rule}" + hint)

    if not isinstance(files, dict):
        raise bad(f"expected a mapping of file paths, got {type(files).__name__} {files!r}")
    for rel, info in files.items():
        if not isinstance(info, dict) or not isinstance(info.get("sha256"), str):
            raise bad(f"file {rel!r} has {info!r}, expected {{sha256: <hex digest>, size: <bytes>}}")
        size = info.get("size")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int)):
            raise bad(f"file {rel!r} has size {size!r}, expected a whole number of bytes")


def verify_folder(root: str, files: dict[str, dict[str, object]]) -> None:
    """Raise :class:`ModelIntegrityError` naming the first changed, added or removed file.

    >>> verify_folder(path, Model.load(path).files)
    """
    hint = f" (load with verify=False or set {VERIFY_ENV}=false to skip this check)"
    _check_files_entry(root, files, hint)
    present = set(_walk(root))
    expected = set(files)
    missing = sorted(expected - present)
    if missing:
        raise ModelIntegrityError(
            f"Model folder {root!r} is incomplete: file {missing[0]!r} listed in MLmodel is missing" + hint
        )
    added = sorted(present - expected)
    if added:
        raise ModelIntegrityError(
            f"Model folder {root!r} was modified: file {added[0]!r} is not listed in MLmodel (it was added after saving)"
            + hint
        )
    for rel in sorted(expected):
        info = files[rel]
        path = os.path.join(root, rel)
        size = os.path.getsize(path)
        if info.get("size") is not None and info["size"] != size:
            raise ModelIntegrityError(
                f"Model folder {root!r} was modified: file {rel!r} has {size} bytes, MLmodel records {info['size']}"
                + hint
            )
        digest, _ = file_digest(path)
        if digest != info.get("sha256"):
            raise ModelIntegrityError(
                f"Model folder {root!r} was modified: file {rel!r} does not match its sha256 in MLmodel" + hint
            )


__all__ = ["MLMODEL_FILE_NAME", "VERIFY_ENV", "file_digest", "hash_folder", "verification_enabled", "verify_folder"]


def verify_recorded_mlmodel(folder: str, expected_sha256: Optional[str], where: str = "") -> None:
    """Refuse a model folder whose ``MLmodel`` differs from the sha256 the store recorded at log/register time.

    Called before anything else in the folder is read, so an edited MLmodel
    (a removed ``files`` key, a flavor path pointing elsewhere) is caught even
    though MLmodel is not covered by its own ``files`` hashes. ``None`` (no
    record: a bare path, a model logged before records existed) checks nothing.

    >>> verify_recorded_mlmodel(folder, Client().get_logged_model(model_id).mlmodel_sha256)
    """
    if expected_sha256 is None:
        return
    path = os.path.join(folder, MLMODEL_FILE_NAME)
    label = where or folder
    if not os.path.isfile(path):
        raise ModelIntegrityError(f"Model {label!r} has no MLmodel file at {folder!r}, though one was recorded when it was logged")
    if file_digest(path)[0] != expected_sha256:
        raise ModelIntegrityError(
            f"Model {label!r} was modified: its MLmodel file ({path!r}) does not match the sha256 recorded "
            f"when it was logged or registered (load with verify=False or set {VERIFY_ENV}=false to skip this check)"
        )

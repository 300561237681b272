"""Integrity of a model folder: the sha256 and size of every file, checked on load.

The MLmodel file records ``files: {relative/path: {sha256: ..., size: ...}}``
for every file in the folder except MLmodel itself. Loading compares the
folder against it and refuses a folder where a file was changed, added or
removed, naming the file::

    >>> files = hash_folder("/tmp/model")
    >>> verify_folder("/tmp/model", files)       # raises ModelIntegrityError when tampered

People who edit model folders on purpose opt out with ``verify=False`` on the
load functions, or for a whole process with ``MLTRAIL_VERIFY_MODELS=false``.

Whatever the setting, every path MLmodel names (a flavor's ``pickled_model``,
``data``, ``model_path``, ``code``, a python model's ``artifacts``, the input
example...) must stay inside the folder: :func:`check_model_folder` is the one
check every loader runs before reading a file::

    >>> check_model_folder("/tmp/model", Model.load("/tmp/model"), verify=None)
"""

from __future__ import annotations

import hashlib
import os
from typing import Any, Iterator, Optional

from .._user_warnings import warn_user
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


def sha256_of_file(path: str) -> str:
    """The sha256 hex digest of the file at ``path`` (e.g. of a model's MLmodel file).

    >>> sha256_of_file("model/MLmodel")
    '9c1185a5...'
    """
    return file_digest(path)[0]


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
    real_root = os.path.realpath(root)
    for rel in sorted(expected):
        info = files[rel]
        path = os.path.join(root, rel)
        if os.path.islink(path) and not _inside(real_root, os.path.realpath(path)):
            raise ModelIntegrityError(
                f"Model folder {root!r} was modified: file {rel!r} is a symlink to {os.path.realpath(path)!r}, "
                "outside the model folder" + hint
            )
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


#: Keys of a flavor's MLmodel entry whose value names a file or folder of the model
#: (besides any key ending in ``_path`` or ``_file``).
_FILE_KEYS = frozenset({"pickled_model", "data", "model_path", "model_data", "python_model", "code", "model_file"})


class UnverifiedModelWarning(UserWarning):
    """A model folder was loaded without an integrity check (it records no file hashes)."""


def _inside(real_root: str, real: str) -> bool:
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def resolve_model_path(folder: str, rel: Any, key: str) -> str:
    """The local path of ``rel`` (a value read from MLmodel under ``key``) inside the model ``folder``.

    An absolute path, a ``..`` segment or a symlink leading out of the folder
    raises :class:`ModelIntegrityError` naming the key and the path.

    >>> resolve_model_path("/tmp/model", "model.pkl", "flavors.sklearn.pickled_model")
    '/tmp/model/model.pkl'
    """
    def refuse(rule: str) -> ModelIntegrityError:
        return ModelIntegrityError(
            f"Model folder {folder!r}: MLmodel's {key} is {rel!r}, {rule}; "
            "every path in MLmodel must stay inside the model folder"
        )

    if not isinstance(rel, str):
        raise refuse(f"a {type(rel).__name__}, not a relative path")
    parts = rel.replace("\\", "/").split("/")
    if rel.startswith(("/", "\\")) or os.path.isabs(rel) or (rel[1:2] == ":" and rel[:1].isalpha()):
        raise refuse("an absolute path")
    if ".." in parts:
        raise refuse("a path with a '..' segment")
    path = os.path.join(folder, *[p for p in parts if p not in ("", ".")])
    real_root = os.path.realpath(folder)
    real = os.path.realpath(path)
    if not _inside(real_root, real):
        raise refuse(f"which resolves to {real!r} outside the folder (through a symlink)")
    return path


def _is_file_key(key: str) -> bool:
    return key in _FILE_KEYS or key.endswith(("_path", "_file"))


def _mlmodel_paths(mlmodel: Any) -> Iterator[tuple[str, Any]]:
    """(dotted key, value) of every file path an MLmodel names (None values are skipped)."""
    for flavor, conf in (mlmodel.flavors or {}).items():
        if not isinstance(conf, dict):
            continue
        for key, value in conf.items():
            where = f"flavors.{flavor}.{key}"
            if key == "env" and isinstance(value, dict):
                yield from ((f"{where}.{k}", v) for k, v in value.items() if v is not None)
            elif key == "env" and isinstance(value, str):
                yield where, value
            elif key == "artifacts" and isinstance(value, dict):
                for name, entry in value.items():
                    path = entry.get("path") if isinstance(entry, dict) else entry
                    yield f"{where}.{name}.path", path
            elif key == "code_paths" and isinstance(value, list):
                yield from ((f"{where}[{i}]", v) for i, v in enumerate(value))
            elif _is_file_key(key) and value is not None:
                yield where, value
    example = getattr(mlmodel, "saved_input_example_info", None)
    if isinstance(example, dict):
        for key in ("artifact_path", "serving_input_path"):
            if example.get(key) is not None:
                yield f"saved_input_example_info.{key}", example[key]


def check_mlmodel_paths(folder: str, mlmodel: Any) -> None:
    """Raise :class:`ModelIntegrityError` if any path ``mlmodel`` names leaves ``folder``.

    >>> check_mlmodel_paths("/tmp/model", Model.load("/tmp/model"))
    """
    for key, value in _mlmodel_paths(mlmodel):
        resolve_model_path(folder, value, key)


def written_by_mlflow(mlmodel: Any) -> bool:
    """True for an MLmodel MLflow wrote: no ``files`` hashes, an ``mlflow_version`` key.

    >>> written_by_mlflow(Model.load("mlflow-model"))
    True
    """
    return getattr(mlmodel, "files", None) is None and bool(mlmodel.to_dict().get("mlflow_version"))


def check_model_folder(folder: str, mlmodel: Any, verify: Optional[bool] = None) -> None:
    """Everything a loader checks before reading a model folder's files.

    Paths in MLmodel must stay inside ``folder`` (always). With verification
    on (the default): the recorded hashes must match; a folder without
    ``files`` hashes is refused, unless MLflow wrote it (then it loads with an
    :class:`UnverifiedModelWarning`).

    >>> check_model_folder(path, Model.load(path))
    """
    check_mlmodel_paths(folder, mlmodel)
    if not verification_enabled(verify):
        return
    if mlmodel.files is not None:
        verify_folder(folder, mlmodel.files)
        return
    if written_by_mlflow(mlmodel):
        warn_user(
            f"Model folder {folder!r} was written by MLflow {mlmodel.to_dict().get('mlflow_version')} and records "
            "no file hashes: it is loaded unverified",
            UnverifiedModelWarning,
        )
        return
    raise ModelIntegrityError(
        f"Model folder {folder!r} cannot be verified: its MLmodel has no 'files' entry (the sha256 of every file "
        "mltrail records when saving), so the folder may have been tampered with. Load it with verify=False or "
        f"set {VERIFY_ENV}=false if you trust it"
    )


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


__all__ = [
    "MLMODEL_FILE_NAME",
    "UnverifiedModelWarning",
    "VERIFY_ENV",
    "check_mlmodel_paths",
    "check_model_folder",
    "file_digest",
    "hash_folder",
    "resolve_model_path",
    "sha256_of_file",
    "verification_enabled",
    "verify_folder",
    "verify_recorded_mlmodel",
    "written_by_mlflow",
]

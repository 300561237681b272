"""A run's artifacts in the UI: listing, safe previews and downloads.

Every path goes through the artifact repository's own checks (no absolute
path, no ``..``, no symlink leaving the run's folder). Raw files are served
with ``Content-Security-Policy: sandbox`` and ``nosniff``, and HTML is shown
in an ``<iframe sandbox>``: an artifact's scripts never run in the UI's
origin, even when a user opens the raw URL directly.

>>> preview_kind("model/MLmodel"), preview_kind("plots/roc.png"), preview_kind("report.html")
('text', 'image', 'html')
"""

from __future__ import annotations

import csv
import io
import json
import mimetypes
import os
import posixpath
import shutil
import tempfile
from typing import Any, Mapping, Optional

from ...artifacts import get_artifact_repository
from ...artifacts.base import normalize_artifact_path
from ...artifacts.local import LocalArtifactRepository
from ...exceptions import MltrailError, ResourceNotFoundError

#: served on every raw artifact: no script, no plugin, a unique opaque origin
ARTIFACT_CSP = "sandbox; default-src 'none'; img-src data: blob:; style-src 'unsafe-inline'; media-src 'self'"
PREVIEW_BYTES = 512 * 1024
PREVIEW_ROWS = 200

_IMAGE = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp"}
_HTML = {".html", ".htm"}
_TABLE = {".csv", ".tsv"}
_TEXT = {".txt", ".json", ".yaml", ".yml", ".md", ".log", ".py", ".cfg", ".ini", ".toml", ".xml", ".sh", ".r"}
_TEXT_NAMES = {"MLmodel", "requirements.txt", "conda.yaml", "python_env.yaml", "Dockerfile", "LICENSE"}


def preview_kind(path: str) -> str:
    """How a file is previewed: 'image', 'html', 'table', 'parquet', 'text' or 'binary' (sniffed later)."""
    name = posixpath.basename(path)
    ext = os.path.splitext(name)[1].lower()
    if ext in _IMAGE:
        return "image"
    if ext in _HTML:
        return "html"
    if ext in _TABLE:
        return "table"
    if ext == ".parquet":
        return "parquet"
    if ext in _TEXT or name in _TEXT_NAMES:
        return "text"
    return "binary"


def repository(run: Any) -> Any:
    """The artifact repository of a run."""
    return get_artifact_repository(run.info.artifact_uri)


def run_models(store: Any, run: Any) -> dict[str, str]:
    """The READY models the run logged (MLflow 3 keeps them outside the run's artifacts), by name:
    name -> artifact location; the newest of a name wins, as ``runs:/<run_id>/<name>`` does."""
    found: dict[str, str] = {}
    outputs = getattr(run, "outputs", None)
    for output in getattr(outputs, "model_outputs", None) or ():
        try:
            model = store.get_logged_model(output.model_id)
        except MltrailError:
            continue
        if str(model.status) == "READY":
            found[model.name] = model.artifact_location
    return found


def _locate(run: Any, rel: str, models: Mapping[str, str]) -> tuple[Any, str, str]:
    """``(repository, path inside it, prefix)``: a path under a logged model's name (shown as a
    top-level folder of the tree) reads that model's files; any other, the run's artifacts."""
    head, _, rest = rel.partition("/")
    if head in models:
        return get_artifact_repository(models[head]), rest, head
    return repository(run), rel, ""


def list_entries(run: Any, path: Optional[str], models: Mapping[str, str] = {}) -> list[dict[str, Any]]:  # noqa: B006
    """The entries directly under ``path``: name, path, is_dir, size; ``is_model`` for MLmodel folders.

    The run's logged models (``models``, from :func:`run_models`) are top-level folders named as
    logged, so "register model" and the previews work on them as on a model saved in the run.
    """
    rel = normalize_artifact_path(path)
    repo, inner, prefix = _locate(run, rel, models) if rel else (repository(run), "", "")
    entries = []
    for info in repo.list_artifacts(inner or None):
        full = posixpath.join(prefix, info.path) if prefix else info.path
        entry = {"path": full, "name": posixpath.basename(info.path), "is_dir": info.is_dir,
                 "size": info.file_size, "is_model": False}
        if info.is_dir:
            entry["is_model"] = any(posixpath.basename(c.path) == "MLmodel" for c in repo.list_artifacts(info.path))
        entries.append(entry)
    if not rel:
        names = {e["name"] for e in entries}
        entries += [{"path": name, "name": name, "is_dir": True, "size": None, "is_model": True}
                    for name in models if name not in names]
    entries.sort(key=lambda e: (not e["is_dir"], e["name"]))
    return entries


class LocalCopy:
    """A local file holding the artifact (the file itself for local repositories, else a temp copy)."""

    def __init__(self, run: Any, path: str, models: Mapping[str, str] = {}) -> None:  # noqa: B006
        self.rel = normalize_artifact_path(path)
        if not self.rel:
            raise ResourceNotFoundError(f"Artifact path {path!r} names the run's artifact folder, not a file")
        repo, inner, _ = _locate(run, self.rel, models)
        if not inner:
            raise ResourceNotFoundError(f"Artifact path {path!r} names a logged model's folder, not a file")
        self._fetch(repo, inner, path, f"run {run.info.run_id}")

    @classmethod
    def in_folder(cls, uri: str, path: str, owner: str) -> "LocalCopy":
        """The file ``path`` under the artifact folder ``uri`` (``owner`` names it in errors: a
        registered version's files, say)."""
        copy = cls.__new__(cls)
        copy.rel = normalize_artifact_path(path)
        if not copy.rel:
            raise ResourceNotFoundError(f"Artifact path {path!r} names the folder of {owner}, not a file")
        copy._fetch(get_artifact_repository(uri), copy.rel, path, owner)
        return copy

    def _fetch(self, repo: Any, inner: str, path: str, owner: str) -> None:
        self._tmp: Optional[str] = None
        if isinstance(repo, LocalArtifactRepository):
            _, local = repo._local(inner)  # the repository's own escape checks
        else:
            self._tmp = tempfile.mkdtemp(prefix="mltrail-ui-")
            local = os.path.join(self._tmp, posixpath.basename(inner))
            repo._download_file(inner, local)
        if not os.path.isfile(local):
            self.cleanup()
            raise ResourceNotFoundError(f"Artifact {path!r} of {owner} does not exist (or is a folder)")
        self.local = local

    def response(self, media_type: str, attachment: bool) -> Any:
        """The file as a response, sandboxed by CSP (``nosniff``, never cached), the temp copy removed
        once sent; ``attachment`` adds ``Content-Disposition: attachment`` with the file's name."""
        from starlette.background import BackgroundTask
        from starlette.responses import FileResponse

        return FileResponse(
            self.local,
            media_type=media_type,
            filename=posixpath.basename(self.rel) if attachment else None,
            headers={"Content-Security-Policy": ARTIFACT_CSP, "X-Content-Type-Options": "nosniff",
                     "Cache-Control": "no-store"},
            background=BackgroundTask(self.cleanup),
        )

    def cleanup(self) -> None:
        """Remove the temp copy, if any."""
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def media_type(path: str) -> str:
    """The Content-Type a raw artifact is served with (images and HTML by type, text as text)."""
    kind = preview_kind(path)
    if kind in ("image", "html"):
        return mimetypes.guess_type(path)[0] or "application/octet-stream"
    if kind in ("text", "table"):
        return "text/plain; charset=utf-8"
    return "application/octet-stream"


def preview(run: Any, path: str, models: Mapping[str, str] = {}) -> dict[str, Any]:  # noqa: B006
    """What the run page shows for a file: ``{"kind", "path", "size", ...}`` (text, rows, or nothing)."""
    copy = LocalCopy(run, path, models)
    try:
        size = os.path.getsize(copy.local)
        kind = preview_kind(copy.rel)
        result: dict[str, Any] = {"kind": kind, "path": copy.rel, "size": size, "truncated": size > PREVIEW_BYTES}
        if kind in ("image", "html"):
            return result
        if kind == "parquet":
            return _parquet(copy.local, result)
        with open(copy.local, "rb") as fh:
            head = fh.read(PREVIEW_BYTES)
        if kind == "binary":
            if b"\x00" in head[:8192]:
                return result
            kind = result["kind"] = "text"
        text = head.decode("utf-8", errors="replace")
        if kind == "table":
            dialect = "excel-tab" if copy.rel.lower().endswith(".tsv") else "excel"
            rows = list(_rows(text, dialect))
            result.update(header=rows[0] if rows else [], rows=rows[1:PREVIEW_ROWS + 1],
                          more_rows=len(rows) > PREVIEW_ROWS + 1 or result["truncated"])
            return result
        if copy.rel.lower().endswith(".json") and not result["truncated"]:
            try:
                text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
            except ValueError:
                pass
        result["text"] = text
        return result
    finally:
        copy.cleanup()


def _rows(text: str, dialect: str) -> Any:
    reader = csv.reader(io.StringIO(text), dialect=dialect)
    for i, row in enumerate(reader):
        if i > PREVIEW_ROWS + 1:
            return
        yield row


def _parquet(local: str, result: dict[str, Any]) -> dict[str, Any]:
    try:
        import pandas as pd

        frame = pd.read_parquet(local)
    except Exception as exc:  # no parquet engine installed, or a corrupt file: offer the download
        result.update(kind="binary", note=f"cannot read this Parquet file here ({type(exc).__name__}: {exc})")
        return result
    head = frame.head(PREVIEW_ROWS)
    result.update(kind="table", header=[str(c) for c in head.columns],
                  rows=[[str(v) for v in row] for row in head.itertuples(index=False)],
                  more_rows=len(frame) > PREVIEW_ROWS)
    return result

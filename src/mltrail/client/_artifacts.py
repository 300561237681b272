"""Artifact methods of :class:`mltrail.client.Client`: log, list and download a run's files.

    client.log_artifact(run_id, "vectorizer.pkl", artifact_path="extra_artifacts")
    client.log_dict(run_id, {"alpha": 0.1}, "config.yaml")
    [f.path for f in client.list_artifacts(run_id)]   # ['config.yaml', 'extra_artifacts']
"""

from __future__ import annotations

import collections
import posixpath
import threading
from typing import TYPE_CHECKING, Any, Optional

from ..artifacts.base import ArtifactRepository
from ..artifacts.repositories import get_artifact_repository
from ..artifacts.base import normalize_artifact_path
from ..artifacts.pending import flush_artifacts
from ..entities import FileInfo, LifecycleStage
from ..exceptions import InvalidParameterError, InvalidStateError
from . import _payloads

if TYPE_CHECKING:
    from ..entities import RunInfo

#: How many runs' artifact URIs a process remembers (a run's artifact URI never changes).
ARTIFACT_URI_CACHE_SIZE = 1024


class _ArtifactUriCache:
    """``(tracking URI, run id) -> artifact URI``, least recently used dropped first; thread-safe."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._uris: "collections.OrderedDict[tuple[str, str], str]" = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> Optional[str]:
        with self._lock:
            uri = self._uris.get(key)
            if uri is not None:
                self._uris.move_to_end(key)
            return uri

    def put(self, key: tuple[str, str], uri: str) -> None:
        with self._lock:
            self._uris[key] = uri
            self._uris.move_to_end(key)
            while len(self._uris) > self._size:
                self._uris.popitem(last=False)


_artifact_uris = _ArtifactUriCache(ARTIFACT_URI_CACHE_SIZE)


class ArtifactClientMixin:
    """Artifact methods; needs ``tracking_uri`` and ``_run_info(run_id)`` from the client it is mixed into.

    >>> client.log_text(run_id, "hello", "notes/hello.txt")
    """

    tracking_uri: str  # provided by Client

    def _run_info(self, run_id: str) -> "RunInfo":  # provided by Client
        raise NotImplementedError

    def _artifact_root(self, run_id: str, writing: bool) -> str:
        """The run's artifact URI; ``writing`` refuses a deleted run.

        Reads use the remembered URI; writes read the run's info (one cheap
        query, no params/tags/metrics) to see whether the run was deleted since.
        """
        key = (self.tracking_uri, run_id)
        if not writing:
            uri = _artifact_uris.get(key)
            if uri is not None:
                return uri
        info = self._run_info(run_id)
        if writing and info.lifecycle_stage == LifecycleStage.DELETED:
            raise InvalidStateError(
                f"Cannot log artifacts to run {run_id!r}: the run is deleted (restore it with "
                f"client.restore_run({run_id!r}) first)"
            )
        _artifact_uris.put(key, info.artifact_uri)
        return info.artifact_uri

    def _artifact_repo(self, run_id: str, writing: bool) -> ArtifactRepository:
        return get_artifact_repository(self._artifact_root(run_id, writing))

    def log_artifact(self, run_id: str, local_path: str, artifact_path: Optional[str] = None) -> None:
        """Copy a local file into the run's artifacts (under the folder ``artifact_path``).

        >>> client.log_artifact(run_id, "vectorizer.pkl", artifact_path="extra_artifacts")
        """
        self._artifact_repo(run_id, True).log_artifact(local_path, artifact_path)

    def log_artifacts(self, run_id: str, local_dir: str, artifact_path: Optional[str] = None) -> None:
        """Copy the contents of a local folder into the run's artifacts.

        >>> client.log_artifacts(run_id, "outputs", artifact_path="outputs")
        """
        self._artifact_repo(run_id, True).log_artifacts(local_dir, artifact_path)

    def _log_bytes(self, run_id: str, data: bytes, artifact_file: str) -> None:
        self._artifact_repo(run_id, True).log_bytes(data, artifact_file)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        """Store ``text`` as the artifact file ``artifact_file`` (UTF-8).

        >>> client.log_text(run_id, "all good", "notes/summary.txt")
        """
        self._check_file(artifact_file)
        self._log_bytes(run_id, _payloads.text_bytes(text, artifact_file), artifact_file)

    def log_dict(self, run_id: str, dictionary: Any, artifact_file: str) -> None:
        """Store a dict/list as JSON, or YAML when ``artifact_file`` ends in .yaml/.yml.

        >>> client.log_dict(run_id, {"alpha": 0.1, "layers": [64, 32]}, "config.yaml")
        """
        self._check_file(artifact_file)
        self._log_bytes(run_id, _payloads.dict_bytes(dictionary, artifact_file), artifact_file)

    def log_figure(
        self, run_id: str, figure: Any, artifact_file: str, *, save_kwargs: Optional[dict[str, Any]] = None
    ) -> None:
        """Store a matplotlib figure (any savefig format) or a plotly figure (.html/.json).

        >>> fig, ax = plt.subplots(); ax.plot([1, 2, 3])
        >>> client.log_figure(run_id, fig, "plots/curve.png")
        """
        self._check_file(artifact_file)
        self._log_bytes(run_id, _payloads.figure_bytes(figure, artifact_file, save_kwargs), artifact_file)

    def log_image(
        self,
        run_id: str,
        image: Any,
        artifact_file: Optional[str] = None,
        key: Optional[str] = None,
        step: Optional[int] = None,
        timestamp: Optional[int] = None,
        synchronous: Optional[bool] = None,
    ) -> None:
        """Store a numpy array (uint8 0..255 or float 0..1; HxW, HxWx3, HxWx4) or a PIL image.

        Either ``artifact_file`` (format from its extension), or ``key`` with
        ``step`` (default 0) and ``timestamp`` (default now): MLflow 3's
        time-stepped layout (``images/<key>+step+<step>+timestamp+<ms>+<uuid>.png`` plus a
        ``+compressed.webp`` thumbnail, and the run tag ``mlflow.loggedImages``), so MLflow
        reads the images mltrail logs and the other way round. The files are
        written before returning; ``synchronous`` applies to the tag.

        >>> client.log_image(run_id, np.zeros((32, 32, 3), dtype=np.uint8), "images/black.png")
        >>> client.log_image(run_id, np.zeros((32, 32, 3), dtype=np.uint8), key="pred", step=3)
        """
        if artifact_file is not None and any(arg is not None for arg in (key, step, timestamp)):
            raise TypeError(
                "log_image: artifact_file cannot be combined with key, step or timestamp "
                f"(got artifact_file={artifact_file!r}, key={key!r}, step={step!r}, timestamp={timestamp!r})"
            )
        if artifact_file is None and key is None:
            raise TypeError("log_image: give exactly one of artifact_file (a static image) or key (a stepped image)")
        if artifact_file is not None:
            self._check_file(artifact_file)
            self._log_bytes(run_id, _payloads.image_bytes(image, artifact_file), artifact_file)
            return
        from .._system_tags import LOGGED_IMAGES
        from ..store.clock import now_ms
        from ._images import stepped_image_files

        files = stepped_image_files(image, key, int(step or 0), int(timestamp or now_ms()))
        repo = self._artifact_repo(run_id, True)
        for path, data in files.items():
            repo.log_bytes(data, path)
        self.set_tag(run_id, LOGGED_IMAGES, True, synchronous=synchronous)

    def set_tag(self, run_id: str, key: str, value: Any, synchronous: Optional[bool] = None) -> Any:
        raise NotImplementedError  # provided by Client

    @staticmethod
    def _check_file(artifact_file: str) -> None:
        if not normalize_artifact_path(artifact_file):
            raise InvalidParameterError(f"Invalid artifact file {artifact_file!r}: must name a file")

    def list_artifacts(self, run_id: str, path: Optional[str] = None) -> list[FileInfo]:
        """Entries directly under ``path`` (the run's artifact root when None).

        >>> [(f.path, f.is_dir) for f in client.list_artifacts(run_id)]
        [('extra_artifacts', True)]
        """
        flush_artifacts(run_id)  # files still being written in the background (autologging's plots)
        return self._artifact_repo(run_id, False).list_artifacts(path)

    def download_artifacts(self, run_id: str, path: str, dst_path: Optional[str] = None) -> str:
        """Local path of an artifact file or folder (copied to ``dst_path`` when given).

        >>> client.download_artifacts(run_id, "extra_artifacts", "/tmp/out")
        '/tmp/out/extra_artifacts'
        """
        flush_artifacts(run_id)
        return self._artifact_repo(run_id, False).download_artifacts(path, dst_path)

    def get_artifact_uri(self, run_id: str, artifact_path: Optional[str] = None) -> str:
        """URI of the run's artifact folder, or of ``artifact_path`` inside it.

        >>> client.get_artifact_uri(run_id, "model")
        '/work/mltrail-artifacts/1/<run_id>/artifacts/model'
        """
        root = self._artifact_root(run_id, False)
        path = normalize_artifact_path(artifact_path)
        return posixpath.join(root, path) if path else root

"""Inside a server's request, ``mlflow-artifacts:`` URIs resolve to the server's own destination."""

from __future__ import annotations

from pathlib import Path

from mltrail.artifacts import get_artifact_repository
from mltrail.artifacts.proxied import ProxiedArtifactRepository, serve_locally


def _write(uri: str, file: Path) -> None:
    get_artifact_repository(uri).log_artifact(str(file), "model")


def test_serve_locally_writes_to_the_destination_within_the_block_and_restores_the_outer_one(tmp_path):
    file = tmp_path / "weights.bin"
    file.write_bytes(b"w")
    outer, inner = tmp_path / "outer", tmp_path / "inner"
    with serve_locally(str(outer) + "/"):
        with serve_locally(str(inner)):
            _write("mlflow-artifacts:/1/abc/artifacts", file)
        _write("mlflow-artifacts:/2/def/artifacts", file)  # the outer destination is back
    assert (inner / "1/abc/artifacts/model/weights.bin").read_bytes() == b"w"
    assert (outer / "2/def/artifacts/model/weights.bin").read_bytes() == b"w"
    assert sorted(p.name for p in inner.iterdir()) == ["1"] and sorted(p.name for p in outer.iterdir()) == ["2"]
    # after the block the URI names the tracking server's proxy again (nothing local is touched)
    assert isinstance(get_artifact_repository("mlflow-artifacts://server:5000/3/ghi/artifacts"),
                      ProxiedArtifactRepository)


def test_serve_locally_restores_the_destination_when_the_block_raises(tmp_path):
    try:
        with serve_locally(str(tmp_path)):
            raise KeyError("request failed")
    except KeyError:
        pass
    assert isinstance(get_artifact_repository("mlflow-artifacts://server:5000/1/abc/artifacts"),
                      ProxiedArtifactRepository)

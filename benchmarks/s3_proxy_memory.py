"""The server's memory while it proxies a large artifact to and from S3.

Starts moto's standalone S3 server (``python -m moto.server``, a subprocess on
127.0.0.1) and ``mltrail server --artifacts-destination s3://bench/artifacts
--workers 1`` (a subprocess over a fresh SQLite file), warms the proxy up with
a small upload and download (boto3 loaded, connections open), then sends a
``--size-mb`` file (default 200 MB of random bytes) three ways:

- one streamed ``PUT`` (how mltrail's client and MLflow's default client upload),
- MLflow's multipart routes: ``mpu/create``, 10 MB parts ``PUT`` to the part URLs, ``mpu/complete``
  (MLflow's client with ``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true``),
- a streamed ``GET`` of the stored file (its sha256 checked against the original).

While each runs, a thread samples the server's resident memory (its process
and children, from ``/proc``) every 10 ms; the table shows the peak and its
growth over the warmed-up baseline. The target is a growth of at most 50 MB.

    python benchmarks/s3_proxy_memory.py [--size-mb 200]
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, Callable, Iterator

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.measure import tree_rss_mb  # noqa: E402

ART = "/api/2.0/mlflow-artifacts/artifacts"
MPU = "/api/2.0/mlflow-artifacts/mpu"
PART = 10 * 1024 * 1024  # MLflow's MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE default
TARGET_MB = 50.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, what: str) -> None:
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not start")


class Sampler:
    """The peak of ``tree_rss_mb(pid)`` while the block runs."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()

    def __enter__(self) -> "Sampler":
        self.peak = tree_rss_mb(self.pid)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_mb(self.pid))
            self._stop.wait(0.01)

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss_mb(self.pid))


def _chunks(path: str, size: int = 1 << 20) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        while block := fh.read(size):
            yield block


def _single_put(base: str, path: str, target: str) -> None:
    import httpx

    answer = httpx.put(f"{base}{ART}/{target}", content=_chunks(path), timeout=600)
    answer.raise_for_status()


def _multipart(base: str, path: str, target: str) -> None:
    import httpx

    folder, name = target.rsplit("/", 1)
    size = os.path.getsize(path)
    created = httpx.post(f"{base}{MPU}/create/{folder}", json={"path": name, "num_parts": math.ceil(size / PART)},
                         timeout=60)
    created.raise_for_status()
    body = created.json()
    parts = []
    with open(path, "rb") as fh:
        for credential in body["credentials"]:
            answer = httpx.put(credential["url"], content=fh.read(PART), timeout=600)
            answer.raise_for_status()
            parts.append({"part_number": credential["part_number"], "etag": answer.headers["ETag"]})
    done = httpx.post(f"{base}{MPU}/complete/{folder}", json={"path": name, "upload_id": body["upload_id"],
                                                               "parts": parts}, timeout=600)
    done.raise_for_status()


def _get(base: str, target: str) -> str:
    import httpx

    digest = hashlib.sha256()
    with httpx.stream("GET", f"{base}{ART}/{target}", timeout=600) as answer:
        answer.raise_for_status()
        for block in answer.iter_bytes():
            digest.update(block)
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=200)
    args = parser.parse_args()
    import boto3

    work = tempfile.mkdtemp(prefix="mltrail-s3-bench-")
    s3_port, port = _free_port(), _free_port()
    endpoint = f"http://127.0.0.1:{s3_port}"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MLTRAIL_"))},
           "MLFLOW_S3_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
           "AWS_DEFAULT_REGION": "us-east-1"}
    moto = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3_port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    server = None
    try:
        _wait(endpoint, moto, "moto")
        boto3.session.Session().client("s3", endpoint_url=endpoint, aws_access_key_id="bench",
                                       aws_secret_access_key="bench", region_name="us-east-1").create_bucket(Bucket="bench")
        binary = os.path.join(os.path.dirname(sys.executable), "mltrail")
        server = subprocess.Popen([binary, "server", "--backend-store-uri", f"sqlite:///{work}/mltrail.db",
                                   "--artifacts-destination", "s3://bench/artifacts", "--host", "127.0.0.1",
                                   "--port", str(port), "--workers", "1", "--log-level", "warning"],
                                  cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        _wait(base + "/health", server, "mltrail server")

        small = os.path.join(work, "warm.bin")
        with open(small, "wb") as fh:
            fh.write(os.urandom(PART + 1))
        _single_put(base, small, "0/warm/artifacts/warm.bin")
        _multipart(base, small, "0/warm/artifacts/warm-mpu.bin")
        _get(base, "0/warm/artifacts/warm.bin")
        time.sleep(1)
        baseline = tree_rss_mb(server.pid)

        big = os.path.join(work, "big.bin")
        original = hashlib.sha256()
        with open(big, "wb") as fh:
            for _ in range(args.size_mb):
                block = os.urandom(1024 * 1024)
                original.update(block)
                fh.write(block)
        phases: list[tuple[str, Callable[[], Any]]] = [
            ("one streamed PUT", lambda: _single_put(base, big, "0/r/artifacts/big.bin")),
            (f"mpu: {math.ceil(args.size_mb * 1024 * 1024 / PART)} parts of 10 MB",
             lambda: _multipart(base, big, "0/r/artifacts/big-mpu.bin")),
            ("streamed GET", lambda: _get(base, "0/r/artifacts/big.bin")),
            ("streamed GET (mpu file)", lambda: _get(base, "0/r/artifacts/big-mpu.bin")),
        ]
        print(f"{args.size_mb} MB artifact through mltrail server -> S3 (moto); server RSS after warm-up: "
              f"{baseline:.1f} MiB")
        print(f"{'phase':<28} {'seconds':>8} {'peak RSS MiB':>13} {'growth MiB':>11}")
        worst = 0.0
        for name, phase in phases:
            with Sampler(server.pid) as sampler:
                start = time.perf_counter()
                result = phase()
                seconds = time.perf_counter() - start
            if isinstance(result, str) and result != original.hexdigest():
                raise SystemExit(f"{name}: the downloaded file differs from the uploaded one")
            growth = sampler.peak - baseline
            worst = max(worst, growth)
            print(f"{name:<28} {seconds:>8.1f} {sampler.peak:>13.1f} {growth:>11.1f}")
        verdict = "within" if worst <= TARGET_MB else "OVER"
        print(f"largest growth: {worst:.1f} MiB ({verdict} the {TARGET_MB:.0f} MB target)")
    finally:
        for proc in (server, moto):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()


if __name__ == "__main__":
    main()

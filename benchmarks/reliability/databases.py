"""Fresh databases and a served ``mltrail server`` for the reliability scenarios.

PostgreSQL and MariaDB are the servers named by ``MLTRAIL_TEST_POSTGRES_URI`` /
``MLTRAIL_TEST_MYSQL_URI`` (the test suite's defaults otherwise); each scenario
gets a new database, dropped afterwards.

>>> with fresh_database("postgresql") as uri, served(uri) as http_uri:
...     ...
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Iterator, Optional, Sequence

SERVERS = {
    "postgresql": ("MLTRAIL_TEST_POSTGRES_URI", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    "mysql": ("MLTRAIL_TEST_MYSQL_URI", "mysql+pymysql://root@127.0.0.1:3306/test"),
}


@contextlib.contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    """The URI of a new, empty database of ``kind`` (``sqlite``, ``postgresql``, ``mysql``), dropped after."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="mltrail-reliability-") as folder:
            yield f"sqlite:///{folder}/mltrail.db"
        return
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    env, default = SERVERS[kind]
    admin_uri = os.environ.get(env) or default
    name = f"mltrail_r_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_uri, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    create = f"CREATE DATABASE {name}" + (" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin" if kind == "mysql" else "")
    with admin.connect() as conn:
        conn.exec_driver_sql(create)
    try:
        yield make_url(admin_uri).set(database=name).render_as_string(hide_password=False)
    finally:
        import mltrail.store as stores

        stores._clear_store_cache()  # our own connections first, or PostgreSQL refuses the drop
        with admin.connect() as conn:
            force = " WITH (FORCE)" if kind == "postgresql" else ""
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}{force}")
        admin.dispose()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def served(
    backend_uri: str, workers: int = 1, artifacts: Optional[str] = None, extra: Sequence[str] = ()
) -> Iterator[str]:
    """``http://127.0.0.1:<port>`` of a ``mltrail server`` subprocess (``--workers``) over ``backend_uri``,
    proxying artifacts to the folder ``artifacts`` (default: a new temporary one); ``extra``: more flags.
    The server gets none of this process's ``MLFLOW_*`` / ``MLTRAIL_*`` settings."""
    import httpx

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="mltrail-served-") as folder:
        command = [os.path.join(os.path.dirname(sys.executable), "mltrail"), "server", "--backend-store-uri", backend_uri,
                   "--artifacts-destination", artifacts or os.path.join(folder, "artifacts"), "--port", str(port),
                   "--workers", str(workers), "--log-level", "warning", *extra]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MLTRAIL_"))}
        log = open(os.path.join(folder, "server.log"), "w+")
        proc = subprocess.Popen(command, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(url + "/health", timeout=2).text == "OK":
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"mltrail server did not start: {log.read()}")
                time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()

"""Shared fixtures for every mltrail test (names are stable: other test packages rely on them).

Database URIs, each a fresh, empty database owned by the test:

- ``sqlite_uri``   - ``sqlite:///<tmp dir>/mltrail.db`` (a new file per test).
- ``postgres_uri`` - a new schema ``s_<hex>`` (made the connection's ``search_path`` through the
  URI's ``options``) in this session's database ``mltrail_t_<hex>`` (default collation ICU
  ``en-US``, as on a production server, so code that relies on a ``C`` collation fails) on the PostgreSQL server
  named by ``MLTRAIL_TEST_POSTGRES_URI`` (default
  ``postgresql+psycopg://postgres@127.0.0.1:5432/test``). A schema isolates like a database
  but costs milliseconds, where each ``DROP DATABASE`` forces a checkpoint (over a second).
- ``mysql_uri``    - a new database ``mltrail_t_<hex>`` on the MySQL/MariaDB server named by
  ``MLTRAIL_TEST_MYSQL_URI`` (default ``mysql+pymysql://root@127.0.0.1:3306/test``).
- ``store_uri``    - parametrized over the three above (test ids ``sqlite``, ``postgresql``,
  ``mysql``): a test using it runs once per backend.

``auth_server(**settings)`` starts ``mltrail server --auth`` (admin ``ADMIN``) and returns an
``AuthServer`` (``url``, ``app``, its auth ``store``, ``user(name)`` -> a Basic header, ``call``).

Server databases (schemas on PostgreSQL) are created per test, with unique names so concurrent
test sessions on the same servers never share one, and all dropped at the end of the session. When the environment variable is unset
and the server cannot be reached, tests needing it are skipped; when the variable IS set (CI
sets both) an unreachable server fails them.

Autouse (every test): the working directory is a fresh temp dir (nothing is written into the
repository), every ``MLTRAIL_*``/``MLFLOW_*`` environment variable (but ``MLTRAIL_TEST_*``) is
removed before and after the test, and after
the test mltrail's process-wide store cache (``mltrail.store._clear_store_cache``) is cleared,
the background artifact writes it left queued are discarded
and ``mltrail.config``'s tracking/registry URIs are reset (and the stock ``mlflow`` client's, when a
test imported it). The fluent API's state (active runs,
active experiments, the client cached per tracking URI: ``mltrail.fluent._reset_state``) is
forgotten before and after every test, so a client cached for a relative ``sqlite:///mltrail.db``
never outlives the temp dir it was made in.
"""

from __future__ import annotations

import os
import sys
import uuid
from typing import Iterator

import pytest

POSTGRES_ENV = "MLTRAIL_TEST_POSTGRES_URI"
MYSQL_ENV = "MLTRAIL_TEST_MYSQL_URI"
POSTGRES_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
MYSQL_DEFAULT = "mysql+pymysql://root@127.0.0.1:3306/test"

_ENV_TO_CLEAR = (
    "MLTRAIL_TRACKING_URI",
    "MLFLOW_TRACKING_URI",
    "MLTRAIL_REGISTRY_URI",
    "MLFLOW_REGISTRY_URI",
    "MLTRAIL_ARTIFACT_ROOT",
)


def _process_settings() -> tuple[str, ...]:
    """Every MLTRAIL_*/MLFLOW_* variable of the process but the test servers' URIs."""
    return tuple(n for n in os.environ if n.startswith(("MLTRAIL_", "MLFLOW_")) and not n.startswith("MLTRAIL_TEST_"))


@pytest.fixture(autouse=True)
def _isolated_mltrail(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    workdir = tmp_path_factory.mktemp("cwd")
    monkeypatch.chdir(workdir)
    for name in _ENV_TO_CLEAR + _process_settings():
        monkeypatch.delenv(name, raising=False)
    import mltrail.fluent as fluent

    fluent._reset_state()
    yield
    for name in _process_settings():  # set by the code under test (MLflow's set_experiment does)
        os.environ.pop(name, None)
    import mltrail.config as config
    import mltrail.store as store
    from mltrail.autologging._retry_buffer import retry_buffer

    retry_buffer().reset()  # an outage a test caused (its held writes too) ends with it
    from mltrail.autologging import background

    # artifact writes a test left queued (its server may be gone, each write retrying for seconds)
    # must not hold up the next test's flush points
    background.discard_queued()
    fluent._reset_state()
    store._clear_store_cache()
    config._tracking_uri = None
    config._registry_uri = None
    stock = sys.modules.get("mlflow")  # the stock client a test drove keeps no URI for the next test
    if stock is not None and hasattr(stock, "set_tracking_uri"):
        stock.set_tracking_uri(None)
        stock.set_registry_uri(None)


@pytest.fixture
def sqlite_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """``sqlite:///`` URI of a new database file in a temp dir."""
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "mltrail.db")


class _Server:
    """One database server reached through a URI: creates and drops per-test databases."""

    def __init__(self, env: str, default: str, backend: str) -> None:
        self.env = env
        self.uri = os.environ.get(env) or default
        self.required = bool(os.environ.get(env))
        self.backend = backend
        self.created: list[str] = []
        self._engine = None
        self._error: str | None = None

    def _admin(self):
        if self._engine is None and self._error is None:
            import sqlalchemy as sa

            kwargs = {"connect_timeout": 5}
            engine = sa.create_engine(self.uri, isolation_level="AUTOCOMMIT", connect_args=kwargs, poolclass=sa.pool.NullPool)
            try:
                with engine.connect() as conn:
                    conn.exec_driver_sql("SELECT 1")
                self._engine = engine
            except Exception as exc:  # noqa: BLE001 - any failure means "unreachable"
                self._error = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
        if self._engine is None:
            message = f"{self.backend} test server {self.uri} unreachable ({self._error})"
            if self.required:
                pytest.fail(f"{message}; {self.env} is set, so the server must be up")
            pytest.skip(message)
        return self._engine

    def new_database(self) -> str:
        from sqlalchemy.engine import make_url

        engine = self._admin()
        if self.backend == "mysql":
            name = f"mltrail_t_{uuid.uuid4().hex[:16]}"
            with engine.connect() as conn:
                conn.exec_driver_sql(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
            self.created.append(name)
            return make_url(self.uri).set(database=name).render_as_string(hide_password=False)
        session_db = self._session_database()
        schema = f"s_{uuid.uuid4().hex[:16]}"
        url = make_url(self.uri).set(database=session_db)
        import sqlalchemy as sa

        schema_engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with schema_engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        schema_engine.dispose()
        query = dict(url.query)
        query["options"] = f"-csearch_path={schema}"
        return url.set(query=query).render_as_string(hide_password=False)

    def _session_database(self) -> str:
        if not self.created:
            name = f"mltrail_t_{uuid.uuid4().hex[:16]}"
            with self._admin().connect() as conn:
                try:  # a natural-language default collation, as production servers have (en_US.UTF-8)
                    conn.exec_driver_sql(
                        f"CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"
                    )
                except Exception:  # noqa: BLE001 - a server without ICU (PostgreSQL < 15): its default
                    conn.exec_driver_sql(f"CREATE DATABASE {name}")
            self.created.append(name)
        return self.created[0]

    def drop_all(self) -> None:
        if self._engine is None:
            return
        with self._engine.connect() as conn:
            for name in self.created:
                if self.backend == "mysql":
                    conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
                else:
                    conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.created.clear()
        self._engine.dispose()


@pytest.fixture(scope="session")
def _postgres_server() -> Iterator[_Server]:
    server = _Server(POSTGRES_ENV, POSTGRES_DEFAULT, "postgresql")
    yield server
    server.drop_all()


@pytest.fixture(scope="session")
def _mysql_server() -> Iterator[_Server]:
    server = _Server(MYSQL_ENV, MYSQL_DEFAULT, "mysql")
    yield server
    server.drop_all()


@pytest.fixture
def postgres_uri(_postgres_server: _Server) -> str:
    """URI of a new, empty PostgreSQL database (dropped at session end)."""
    return _postgres_server.new_database()


@pytest.fixture
def mysql_uri(_mysql_server: _Server) -> str:
    """URI of a new, empty MySQL/MariaDB database (dropped at session end)."""
    return _mysql_server.new_database()


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def store_uri(request: pytest.FixtureRequest) -> str:
    """A new database on each backend in turn: SQLite, PostgreSQL, MySQL/MariaDB."""
    fixture = {"sqlite": "sqlite_uri", "postgresql": "postgres_uri", "mysql": "mysql_uri"}[request.param]
    return request.getfixturevalue(fixture)


def serve_app(app, started: list, port: int = 0, **uvicorn_options) -> str:
    """Run the ASGI ``app`` under uvicorn in a thread on a free 127.0.0.1 port (or ``port``: a server
    restarted where it was); return its ``http://`` URI. ``(server, thread, socket)`` is appended to
    ``started`` for :func:`stop_servers`; ``uvicorn_options`` override the quiet defaults
    (``log_level="warning"``, ``access_log=False``)."""
    import socket
    import threading

    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    options = {"log_level": "warning", "access_log": False, "lifespan": "off", **uvicorn_options}
    server = uvicorn.Server(uvicorn.Config(app, **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the test server did not start")
        thread.join(0.01)
    started.append((server, thread, sock))
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def serve_http(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """``serve_http(backend_uri, **settings)`` starts a ``mltrail server`` app (uvicorn in a thread, a
    free 127.0.0.1 port, artifacts proxied to a temp folder unless ``settings`` — ``create_app``'s —
    say otherwise) over that database and returns its ``http://`` URI; every server started is
    stopped after the test."""
    from mltrail.server import create_app

    started: list[tuple] = []

    def _serve(backend_uri: str, **settings) -> str:
        settings.setdefault("artifacts_destination", str(tmp_path_factory.mktemp("served-artifacts")))
        app = create_app(backend_store_uri=backend_uri, access_log=False, **settings)
        return serve_app(app, started)

    yield _serve
    for server, thread, sock in started:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def http_uri(sqlite_uri: str, serve_http) -> str:
    """``http://`` URI of a live mltrail server over a new SQLite database (see ``serve_http``)."""
    return serve_http(sqlite_uri)


ADMIN = ("admin", "admin-pass-1")


def basic(username: str, password: str) -> dict[str, str]:
    """The ``Authorization`` header of HTTP Basic credentials."""
    import base64

    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


class AuthServer:
    """A live ``mltrail server --auth`` app (``url``) with its auth store (``store``) and helpers."""

    def __init__(self, url: str, app) -> None:
        self.url = url
        self.app = app
        self.store = app.state.context.auth.store
        self.admin = basic(*ADMIN)

    def user(self, username: str, password: str = "") -> dict[str, str]:
        """Create a user (not an admin); their Basic header."""
        password = password or f"{username}-pass-1"
        self.store.create_user(username, password)
        return basic(username, password)

    def call(self, method: str, path: str, headers: dict, **kwargs):
        """A request to the REST API (``path`` under ``/api/2.0/mlflow/``)."""
        import httpx

        return httpx.request(method, f"{self.url}/api/2.0/mlflow/{path}", headers=headers, timeout=30, **kwargs)


@pytest.fixture
def auth_server(sqlite_uri: str, tmp_path, monkeypatch) -> Iterator:
    """``auth_server(**settings)`` -> :class:`AuthServer`: ``mltrail server --auth`` over a fresh SQLite
    store (admin ``ADMIN`` from MLTRAIL_ADMIN_USERNAME/PASSWORD; ``settings`` are ServerConfig fields,
    e.g. ``auth_default_permission="NO_PERMISSIONS"``, ``auth_cache_ttl=0``; ``uvicorn`` options too)."""
    from mltrail.server import create_app

    started: list = []

    def _start(backend_uri: str = sqlite_uri, uvicorn: dict | None = None, **settings) -> AuthServer:
        monkeypatch.setenv("MLTRAIL_ADMIN_USERNAME", ADMIN[0])
        monkeypatch.setenv("MLTRAIL_ADMIN_PASSWORD", ADMIN[1])
        settings.setdefault("access_log", False)
        app = create_app(backend_store_uri=backend_uri, artifacts_destination=str(tmp_path / "artifacts"),
                         auth=True, **settings)
        monkeypatch.delenv("MLTRAIL_ADMIN_USERNAME")
        monkeypatch.delenv("MLTRAIL_ADMIN_PASSWORD")
        return AuthServer(serve_app(app, started, **(uvicorn or {})), app)

    yield _start
    for server, thread, sock in started:
        server.should_exit = True
        thread.join(10)
        sock.close()
@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """``http://127.0.0.1:<port>`` of moto's standalone S3 server (a thread of this session, a free port)."""
    moto_server = pytest.importorskip("moto.server")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The name of a new, empty bucket on the moto server; for the test, ``MLFLOW_S3_ENDPOINT_URL`` points
    at it and fake AWS credentials are set (as a user of MinIO or Ceph would set theirs)."""
    monkeypatch.setenv("MLFLOW_S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "mltrail-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "mltrail-test-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    import boto3

    name = f"mltrail-{uuid.uuid4().hex[:12]}"
    boto3.session.Session().client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=name)
    return name

"""A real TCP proxy that forwards, refuses, stalls or loses answers: network faults on demand.

Used by the fault scenarios (``faults.py``) and the fault tests: clients talk to the proxy's
port, the proxy talks to the server. ``mode`` decides what happens to new connections:

- ``"forward"``: bytes go both ways untouched;
- ``"refuse"``: the connection is accepted and closed at once (a server restarting);
- ``"stall"``: the connection is accepted and nothing is ever answered (a hung server);
- ``"lose_answers"``: requests reach the server, answers never reach the client (the
  connection is closed once the server has answered): a retry follows a request that arrived.

Switching mode also cuts the connections open at that moment, as a real outage does::

    with TcpProxy(("127.0.0.1", 5000)) as proxy:
        client = MlflowClient(proxy.url)
        proxy.mode = "refuse"
"""

from __future__ import annotations

import socket
import threading
from typing import Optional

MODES = ("forward", "refuse", "stall", "lose_answers")


class TcpProxy:
    """A threaded TCP proxy on a free 127.0.0.1 port in front of ``upstream`` (host, port)."""

    def __init__(self, upstream: tuple[str, int], mode: str = "forward") -> None:
        self.upstream = upstream
        self._mode = mode
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        #: connections accepted in each mode
        self.accepted = {m: 0 for m in MODES}
        self._closed = False
        threading.Thread(target=self._accept, name="tcp-proxy", daemon=True).start()

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode {mode!r}: must be one of {MODES}")
        with self._lock:
            self._mode = mode
            sockets, self._open = self._open, []
        for s in sockets:
            _close(s)

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            mode = self._mode
            self.accepted[mode] += 1
            if mode == "refuse":
                _close(conn)
                continue
            with self._lock:
                self._open.append(conn)
            if mode == "stall":
                continue
            threading.Thread(target=self._serve, args=(conn, mode), daemon=True).start()

    def _serve(self, conn: socket.socket, mode: str) -> None:
        try:
            upstream = socket.create_connection(self.upstream, timeout=30)
        except OSError:
            _close(conn)
            return
        with self._lock:
            self._open.append(upstream)
        threading.Thread(target=_pipe, args=(conn, upstream, None), daemon=True).start()
        _pipe(upstream, conn, conn if mode == "lose_answers" else None)

    def close(self) -> None:
        self._closed = True
        _close(self._listener)
        self.mode = "forward"  # cuts what is open

    def __enter__(self) -> "TcpProxy":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _pipe(source: socket.socket, target: socket.socket, lose_to: Optional[socket.socket]) -> None:
    """Copy ``source`` to ``target`` until either closes; with ``lose_to``, drop what comes and
    close ``lose_to`` once the first answer arrived."""
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            if lose_to is not None:
                break
            target.sendall(data)
    except OSError:
        pass
    finally:
        _close(source)
        _close(target)
        if lose_to is not None:
            _close(lose_to)


def _close(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        s.close()
    except OSError:
        pass

"""A TCP proxy on 127.0.0.1 in front of a real database server, for fault tests.

Modes: forwarding (the default), :meth:`TcpProxy.stall` (connections stay
open, bytes are swallowed and nothing comes back: a network partition that
raises no error; new connections are accepted and stall too) and
:meth:`TcpProxy.close` (every connection is cut and new ones are refused: the
database is down)::

    with TcpProxy("127.0.0.1", 5432) as proxy:
        uri = proxy.rewrite("postgresql+psycopg://postgres@127.0.0.1:5432/test")
        ...
        proxy.stall()
"""

from __future__ import annotations

import select
import socket
import threading

from sqlalchemy.engine import make_url


class TcpProxy:
    """Forwards 127.0.0.1:<port> to ``host:port`` until told to stall or close."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self._stalled = threading.Event()
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @classmethod
    def for_uri(cls, uri: str) -> "TcpProxy":
        url = make_url(uri)
        return cls(url.host or "127.0.0.1", url.port or (5432 if url.get_backend_name() == "postgresql" else 3306))

    def rewrite(self, uri: str) -> str:
        """``uri`` pointed at the proxy."""
        return make_url(uri).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def stall(self) -> None:
        """Stop moving bytes in both directions (connections stay open)."""
        self._stalled.set()

    def close(self) -> None:
        """Cut every connection and refuse new ones."""
        self._closed.set()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in [self._listener, *sockets]:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def __enter__(self) -> "TcpProxy":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._stalled.is_set():
                with self._lock:  # accepted (the kernel did the handshake), never answered
                    self._sockets.append(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        peers = {a: b, b: a}
        while not self._closed.is_set():
            try:
                readable, _, _ = select.select([a, b], [], [], 0.1)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        peers[sock].shutdown(socket.SHUT_WR)  # pass the close on
                        return
                    if not self._stalled.is_set():
                        peers[sock].sendall(data)
            except (OSError, ValueError):
                return

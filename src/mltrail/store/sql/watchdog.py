"""A client-side bound on calls to a network database: shut the socket of a call that waits too long.

Server-side timeouts and TCP keepalives cannot end a call whose link
stalled without an error (a partition behind a proxy or NAT that still
acknowledges packets): the driver waits on its socket forever. The watchdog
keeps the deadline of every checked-out connection; one daemon thread
(running only while something is armed) shuts down the socket of a
connection past its deadline, so the blocked driver call returns with a
connection error at once. Arming costs a dictionary write.

>>> watchdog = Watchdog(35.0)
>>> watchdog.arm(record, dbapi_connection.fileno())   # at checkout
>>> watchdog.disarm(record)                           # at checkin
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

_logger = logging.getLogger("mltrail.store")


class Watchdog:
    """Deadlines of checked-out connections, and the thread enforcing them."""

    def __init__(self, limit_s: float) -> None:
        self.limit_s = limit_s
        self._armed: dict[int, tuple[float, int]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def arm(self, key: Any, fd: int) -> None:
        """Start the clock for the connection identified by ``key`` (its socket is ``fd``)."""
        self._armed[id(key)] = (time.monotonic() + self.limit_s, fd)
        if self._thread is None:
            self._start()

    def disarm(self, key: Any) -> None:
        """Stop the clock for ``key`` (no-op when it is not armed)."""
        self._armed.pop(id(key), None)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="mltrail-sql-watchdog", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        tick = min(1.0, self.limit_s / 4)
        while True:
            time.sleep(tick)
            now = time.monotonic()
            for key, (deadline, fd) in list(self._armed.items()):
                if now >= deadline and self._armed.get(key, (None,))[0] == deadline:
                    self._armed.pop(key, None)
                    _shutdown(fd, self.limit_s)
            with self._lock:
                if not self._armed:
                    self._thread = None
                    return


def _shutdown(fd: int, limit_s: float) -> None:
    """Shut down the socket behind ``fd`` (the driver's blocked read then returns an error)."""
    try:
        sock = socket.socket(fileno=os.dup(fd))
    except OSError:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
        _logger.warning("mltrail: a database call waited over %.0f s; its connection was shut down", limit_s)
    except OSError:
        pass
    finally:
        sock.close()

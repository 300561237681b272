"""No password, token or Authorization header ever appears in the server's logs (its own access
log, uvicorn's access and error logs at debug level) or in any answer it sends."""

from __future__ import annotations

import base64
import logging

import httpx

from ..conftest import basic

PASSWORD = "Zebra-Quartz-Password-1"
WRONG = "Wrong-Walrus-Password-2"
SHORT = "Tiny-7"


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + " " + repr(record.args))


def test_credentials_never_reach_logs_or_error_bodies(auth_server, capfd):
    collect = _Collect()
    loggers = [logging.getLogger(n) for n in ("", "uvicorn", "uvicorn.access", "uvicorn.error", "mltrail")]
    for lg in loggers:
        lg.addHandler(collect)
    old_level = logging.getLogger().level
    logging.getLogger().setLevel(logging.DEBUG)
    try:
        server = auth_server(access_log=True, uvicorn={"access_log": True, "log_level": "debug"})
        server.user("ana", PASSWORD)
        token = server.store.create_token("ana", "laptop")
        revoked = server.store.create_token("ana", "old")
        server.store.revoke_token("ana", "old")
        answers = []
        headers_sent = [basic("ana", PASSWORD), basic("ana", WRONG), {"Authorization": f"Bearer {token}"},
                        {"Authorization": f"Bearer {revoked}"}, {"Authorization": f"Basic {PASSWORD}"},
                        {"Authorization": f"Token {token}"}, {"Authorization": f"Bearer {token} {PASSWORD}"}]
        for headers in headers_sent:
            for method, path, body in (("GET", "experiments/search", None),
                                       ("POST", "runs/create", {"experiment_id": "424242"}),
                                       ("GET", "runs/get", None)):
                answers.append(server.call(method, path, headers, json=body).text)
        answers.append(server.call("POST", "users/create", server.admin,
                                   json={"username": "bob", "password": SHORT}).text)
        answers.append(server.call("PATCH", "users/update-password", basic("ana", PASSWORD),
                                   json={"password": SHORT}).text)
        for password in (WRONG, PASSWORD):
            response = httpx.post(server.url + "/login", data={"username": "ana", "password": password, "next": "/"},
                                  follow_redirects=False, timeout=30)
            answers.append(response.text + str(response.headers))
        answers.append(httpx.get(server.url + "/experiments", headers=basic("ana", WRONG), timeout=30).text)
    finally:
        for lg in loggers:
            lg.removeHandler(collect)
        logging.getLogger().setLevel(old_level)
    out, err = capfd.readouterr()
    logs = "\n".join(collect.lines) + out + err
    assert "experiments/search" in logs and "/login" in logs  # the requests were logged
    assert "HTTP/1.1" in logs  # by uvicorn's access log too
    secrets = [PASSWORD, WRONG, SHORT, token, revoked, token[4:], revoked[4:],
               base64.b64encode(f"ana:{PASSWORD}".encode()).decode(), base64.b64encode(f"ana:{WRONG}".encode()).decode()]
    for secret in secrets:
        assert secret not in logs, f"a credential is in the server's logs: {secret[:6]}..."
        for answer in answers:
            assert secret not in answer, f"a credential is in an answer: {secret[:6]}..."
    assert "authorization" not in logs.lower()

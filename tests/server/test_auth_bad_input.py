"""Bad input against ``mltrail server --auth``: wrong passwords, expired and revoked tokens,
malformed Authorization headers, users granting themselves permissions, user management by
non-admins. Each answer is 401 (with WWW-Authenticate) or 403 PERMISSION_DENIED, and nothing
changes."""

from __future__ import annotations

import base64
import time

import pytest

from ..conftest import ADMIN, basic


def _status(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error_code"] == code
    if status == 401:
        assert response.headers["www-authenticate"] == 'Basic realm="mltrail", charset="UTF-8"'
    return body


def test_wrong_password_and_unknown_user_are_401(auth_server):
    server = auth_server()
    server.user("ana", "right-password")
    for headers in (basic("ana", "wrong-password"), basic("ana", ""), basic("nobody", "right-password")):
        body = _status(server.call("GET", "experiments/search", headers), 401, "UNAUTHENTICATED")
        assert body["message"] == "Invalid credentials: wrong user name or password"
    assert server.call("GET", "experiments/search", basic("ana", "right-password")).status_code == 200


@pytest.mark.parametrize("header", [
    "Basic", "Basic !!!not-base64!!!", "Basic " + base64.b64encode(b"no-colon-here").decode(),
    "Basic " + base64.b64encode(b"\xff\xfe:x").decode(), "Bearer", "Bearer two parts", "Digest abc",
    "admin:admin-pass-1", "Bearer " + "x" * 5000,
])
def test_malformed_authorization_header_is_401_without_echoing_it(auth_server, header):
    server = auth_server()
    response = server.call("GET", "experiments/search", {"Authorization": header})
    body = _status(response, 401, "UNAUTHENTICATED")
    assert body["message"].startswith(("Malformed Authorization header", "Invalid credentials"))
    secret_part = header.partition(" ")[2] if " " in header else header
    if secret_part not in ("Basic", "Bearer"):
        assert secret_part not in response.text


def test_expired_token_is_401(auth_server):
    server = auth_server()
    server.user("ana")
    token = server.store.create_token("ana", "short", expires_in_s=0.05)
    time.sleep(0.2)
    body = _status(server.call("GET", "experiments/search", {"Authorization": f"Bearer {token}"}), 401, "UNAUTHENTICATED")
    assert "revoked or expired" in body["message"]
    assert token not in body["message"]


def test_revoked_token_stops_working_once_the_cache_time_is_over(auth_server):
    server = auth_server(auth_cache_ttl=0)  # every request re-reads the token, as after the TTL
    server.user("ana")
    headers = {"Authorization": "Bearer " + server.store.create_token("ana", "laptop")}
    assert server.call("GET", "experiments/search", headers).status_code == 200
    server.store.revoke_token("ana", "laptop")  # as `mltrail users revoke ana --token laptop` does
    _status(server.call("GET", "experiments/search", headers), 401, "UNAUTHENTICATED")


def test_a_revoked_token_is_trusted_no_longer_than_the_cache_time(auth_server):
    server = auth_server(auth_cache_ttl=0.5)
    server.user("ana")
    headers = {"Authorization": "Bearer " + server.store.create_token("ana", "laptop")}
    assert server.call("GET", "experiments/search", headers).status_code == 200
    server.store.revoke_token("ana", "laptop")
    time.sleep(0.6)
    _status(server.call("GET", "experiments/search", headers), 401, "UNAUTHENTICATED")


def test_a_user_cannot_grant_themselves_permissions(auth_server):
    server = auth_server(auth_default_permission="READ")
    ana = server.user("ana")
    bob = server.user("bob")
    exp = server.call("POST", "experiments/create", bob, json={"name": "bobs"}).json()["experiment_id"]
    server.call("POST", "registered-models/create", bob, json={"name": "bobs-model"}).raise_for_status()
    # ana (READ by default) tries to make herself EDITor / MANAGEr
    for path, body in (("experiments/permissions/create", {"experiment_id": exp, "permission": "MANAGE"}),
                       ("registered-models/permissions/create", {"name": "bobs-model", "permission": "EDIT"})):
        _status(server.call("POST", path, ana, json={**body, "username": "ana"}), 403, "PERMISSION_DENIED")
    _status(server.call("PATCH", "experiments/permissions/update", ana,
                        json={"experiment_id": exp, "username": "ana", "permission": "EDIT"}), 403, "PERMISSION_DENIED")
    # bob manages his experiment but still cannot raise his own level; he can grant ana
    _status(server.call("POST", "experiments/permissions/create", bob,
                        json={"experiment_id": exp, "username": "bob", "permission": "MANAGE"}), 403,
            "PERMISSION_DENIED")
    assert server.call("POST", "experiments/permissions/create", bob,
                       json={"experiment_id": exp, "username": "ana", "permission": "EDIT"}).status_code == 200
    user = server.store.get_user("ana")
    assert server.store.get_permission("experiment", exp, user.id).name == "EDIT"
    assert server.store.get_permission("registered_model", "bobs-model", user.id) is None
    # with EDIT (not MANAGE) ana still cannot grant anything, to herself or others
    _status(server.call("POST", "experiments/permissions/update", ana,
                        json={"experiment_id": exp, "username": "bob", "permission": "READ"}), 405, "BAD_REQUEST")
    _status(server.call("PATCH", "experiments/permissions/update", ana,
                        json={"experiment_id": exp, "username": "bob", "permission": "READ"}), 403, "PERMISSION_DENIED")


def test_user_management_is_for_admins(auth_server):
    server = auth_server()
    ana = server.user("ana")
    server.user("bob")
    for method, path, body in (
        ("POST", "users/create", {"username": "mallory", "password": "mallory-pass-1"}),
        ("DELETE", "users/delete", {"username": "bob"}),
        ("PATCH", "users/update-admin", {"username": "ana", "is_admin": True}),
        ("PATCH", "users/update-password", {"username": "bob", "password": "taken-over-1"}),
        ("POST", "users/tokens/create", {"username": "bob", "name": "stolen"}),
    ):
        _status(server.call(method, path, ana, json=body), 403, "PERMISSION_DENIED")
    _status(server.call("GET", "users/get", ana, params={"username": "bob"}), 403, "PERMISSION_DENIED")
    assert [u.username for u in server.store.list_users()] == ["admin", "ana", "bob"]
    assert not server.store.get_user("ana").is_admin
    assert server.store.list_tokens("bob") == []
    assert server.call("GET", "experiments/search", basic("bob", "bob-pass-1")).status_code == 200
    # her own password and tokens she may change; the admin may do it all
    assert server.call("PATCH", "users/update-password", ana,
                       json={"username": "ana", "password": "new-password-1"}).status_code == 200
    assert server.call("GET", "users/get", basic("ana", "new-password-1"), params={"username": "ana"}).json()[
        "user"]["username"] == "ana"
    assert server.call("DELETE", "users/delete", server.admin, json={"username": "bob"}).status_code == 200
    assert [u.username for u in server.store.list_users()] == ["admin", "ana"]


def test_bad_user_input_names_the_rule_without_the_password(auth_server):
    server = auth_server()
    body = _status(server.call("POST", "users/create", server.admin, json={"username": "ana", "password": "short"}),
                   400, "INVALID_PARAMETER_VALUE")
    assert "8-1024 characters" in body["message"] and "short" not in body["message"]
    body = _status(server.call("POST", "users/create", server.admin,
                               json={"username": "a:b", "password": "long-enough-1"}), 400, "INVALID_PARAMETER_VALUE")
    assert "'a:b'" in body["message"]
    _status(server.call("POST", "experiments/permissions/create", server.admin,
                        json={"experiment_id": "0", "username": ADMIN[0], "permission": "OWNER"}),
            400, "INVALID_PARAMETER_VALUE")

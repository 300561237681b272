"""The UI of ``mltrail server --auth``: sign-in page, signed HttpOnly SameSite session cookie,
CSRF token on writes, sign-out, and pages that show only what the user may read."""

from __future__ import annotations

import httpx
import pytest


def _signed_in(server, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=30, follow_redirects=False)
    response = client.post("/login", data={"username": username, "password": password, "next": "/experiments"})
    assert response.status_code == 303 and response.headers["location"] == "/experiments"
    return client


def test_sign_in_sets_a_signed_http_only_same_site_cookie(auth_server):
    server = auth_server()
    server.user("ana", "ana-password-1")
    anonymous = httpx.Client(base_url=server.url, timeout=30, follow_redirects=False)
    assert anonymous.get("/runs?experiments=0").headers["location"] == "/login?next=%2Fruns%3Fexperiments%3D0"
    page = anonymous.get("/login?next=/models")
    assert page.status_code == 200 and 'name="password"' in page.text and 'value="/models"' in page.text
    wrong = anonymous.post("/login", data={"username": "ana", "password": "nope-nope-1", "next": "/"})
    assert wrong.status_code == 401 and "Wrong user name or password" in wrong.text
    assert "set-cookie" not in wrong.headers
    client = _signed_in(server, "ana", "ana-password-1")
    cookies = client.cookies
    session_header = next(h for h in client.post("/login", data={"username": "ana", "password": "ana-password-1"})
                          .headers.get_list("set-cookie") if h.startswith("mltrail_session="))
    assert "HttpOnly" in session_header and "SameSite=Lax" in session_header and "Path=/" in session_header
    assert client.get("/experiments").status_code == 200
    # a forged or altered cookie is not a session
    forged = httpx.Client(base_url=server.url, timeout=30, follow_redirects=False,
                          cookies={"mltrail_session": cookies["mltrail_session"][:-2] + "00"})
    assert forged.get("/experiments").status_code == 303
    assert forged.get("/ajax-api/ui/runs?experiments=0").status_code == 401


def test_next_never_leaves_the_server(auth_server):
    server = auth_server()
    server.user("ana", "ana-password-1")
    client = httpx.Client(base_url=server.url, timeout=30, follow_redirects=False)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = client.post("/login", data={"username": "ana", "password": "ana-password-1", "next": target})
        assert response.headers["location"] == "/"


def test_ui_writes_need_the_csrf_token(auth_server):
    server = auth_server()
    server.user("ana", "ana-password-1")
    client = _signed_in(server, "ana", "ana-password-1")
    no_token = client.post("/ajax-api/ui/experiments/create", json={"name": "csrf-a"})
    assert no_token.status_code == 403 and no_token.json()["error_code"] == "PERMISSION_DENIED"
    wrong = client.post("/ajax-api/ui/experiments/create", json={"name": "csrf-a"}, headers={"X-CSRF-Token": "x"})
    assert wrong.status_code == 403
    api_write = client.post("/api/2.0/mlflow/experiments/create", json={"name": "csrf-a"})
    assert api_write.status_code == 403  # the REST API through the cookie: same rule
    assert [e.name for e in server.app.state.tracking_store.search_experiments()] == ["Default"]
    token = client.cookies["mltrail_csrf"]
    made = client.post("/ajax-api/ui/experiments/create", json={"name": "csrf-a"}, headers={"X-CSRF-Token": token})
    assert made.status_code == 200
    # the creator MANAGEs it: may delete it
    deleted = client.post("/ajax-api/ui/experiments/delete", json={"experiment_id": made.json()["experiment_id"]},
                          headers={"X-CSRF-Token": token})
    assert deleted.status_code == 200


def test_sign_out_needs_the_csrf_token_and_clears_the_session(auth_server):
    server = auth_server()
    server.user("ana", "ana-password-1")
    client = _signed_in(server, "ana", "ana-password-1")
    page = client.get("/experiments").text
    assert "Sign out" in page and "ana" in page
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.get("/experiments").status_code == 200
    stolen = dict(client.cookies)  # what a thief copied from this browser before the sign-out
    elsewhere = _signed_in(server, "ana", "ana-password-1")  # the same user in another browser
    out = client.post("/logout", data={"csrf_token": client.cookies["mltrail_csrf"]})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert client.get("/experiments").status_code == 303
    # the signed cookie itself stops working, not only this browser's copy; sign-out ends every session
    thief = httpx.Client(base_url=server.url, timeout=30, follow_redirects=False, cookies=stolen)
    assert thief.get("/experiments").status_code == 303
    assert thief.get("/ajax-api/ui/runs?experiments=0").status_code == 401
    assert elsewhere.get("/experiments").status_code == 303
    again = _signed_in(server, "ana", "ana-password-1")  # signing in again works at once
    assert again.get("/experiments").status_code == 200


def test_a_new_password_or_a_sign_out_on_another_instance_ends_the_sessions(auth_server, sqlite_uri):
    first = auth_server(backend_uri=sqlite_uri, auth_cache_ttl=0)
    second = auth_server(backend_uri=sqlite_uri, auth_cache_ttl=0)
    first.user("ana", "ana-password-1")
    first.user("bob", "bob-password-1")
    ana, bob = _signed_in(first, "ana", "ana-password-1"), _signed_in(first, "bob", "bob-password-1")
    ana_on_second = httpx.Client(base_url=second.url, timeout=30, follow_redirects=False, cookies=ana.cookies)
    assert ana_on_second.get("/experiments").status_code == 200
    ana_on_second.post("/logout", data={"csrf_token": ana.cookies["mltrail_csrf"]})
    assert ana.get("/experiments").status_code == 303  # signed out on the second instance: gone on the first
    assert bob.get("/experiments").status_code == 200  # another user's session is untouched
    first.store.set_password("bob", "bob-password-2")
    assert bob.get("/experiments").status_code == 303
    assert _signed_in(first, "bob", "bob-password-2").get("/experiments").status_code == 200


def test_pages_show_only_what_the_user_may_read(auth_server):
    server = auth_server(auth_default_permission="NO_PERMISSIONS")
    server.user("ana", "ana-password-1")
    bob = server.user("bob")
    theirs = server.call("POST", "experiments/create", bob, json={"name": "bob-secret-exp"}).json()["experiment_id"]
    run = server.call("POST", "runs/create", bob, json={"experiment_id": theirs}).json()["run"]["info"]["run_id"]
    server.call("POST", "registered-models/create", bob, json={"name": "bob-secret-model"}).raise_for_status()
    client = _signed_in(server, "ana", "ana-password-1")
    token = {"X-CSRF-Token": client.cookies["mltrail_csrf"]}
    assert "bob-secret-exp" not in client.get("/experiments").text
    assert "bob-secret-model" not in client.get("/models").text
    for path in (f"/runs?experiments={theirs}", f"/runs/{run}", f"/compare?runs={run}", "/models/bob-secret-model",
                 f"/ajax-api/ui/runs?experiments={theirs}", f"/ajax-api/ui/artifacts?run_id={run}",
                 f"/ajax-api/ui/metric-history?runs={run}&key=m"):
        assert client.get(path).status_code == 403, path
    for path, body in (("/ajax-api/ui/runs/set-tag", {"run_id": run, "key": "k", "value": "v"}),
                       ("/ajax-api/ui/experiments/rename", {"experiment_id": theirs, "new_name": "mine"}),
                       ("/ajax-api/ui/models/set-tag", {"name": "bob-secret-model", "key": "k", "value": "v"})):
        assert client.post(path, json=body, headers=token).status_code == 403, path
    assert server.app.state.tracking_store.get_experiment(theirs).name == "bob-secret-exp"
    server.store.set_permission("experiment", theirs, "ana", "READ")
    server.app.state.context.auth.forget("experiment", theirs)
    assert "bob-secret-exp" in client.get("/experiments").text
    assert client.get(f"/runs/{run}").status_code == 200
    assert client.post("/ajax-api/ui/runs/set-tag", json={"run_id": run, "key": "k", "value": "v"},
                       headers=token).status_code == 403  # READ is not EDIT


@pytest.mark.parametrize("path", ["/health", "/version", "/static-ui/ui.css"])
def test_open_paths_need_no_sign_in(auth_server, path):
    assert httpx.get(auth_server().url + path, timeout=30).status_code == 200


def test_a_session_made_by_one_instance_works_on_another(auth_server, sqlite_uri):
    first = auth_server(backend_uri=sqlite_uri)
    second = auth_server(backend_uri=sqlite_uri)  # another instance over the same database
    first.user("ana", "ana-password-1")
    client = _signed_in(first, "ana", "ana-password-1")
    other = httpx.Client(base_url=second.url, timeout=30, follow_redirects=False, cookies=client.cookies)
    assert other.get("/experiments").status_code == 200
    made = other.post("/ajax-api/ui/experiments/create", json={"name": "via-second"},
                      headers={"X-CSRF-Token": client.cookies["mltrail_csrf"]})
    assert made.status_code == 200
    assert first.call("GET", "experiments/get-by-name", first.admin,
                      params={"experiment_name": "via-second"}).status_code == 200

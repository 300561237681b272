"""Every route of ``mltrail server --auth`` is behind a rule: the route table declares one per
endpoint, a request without credentials is refused on every route the app serves, and a signed-in
user without permission gets 403 PERMISSION_DENIED from every endpoint bound to a resource."""

from __future__ import annotations

import httpx
import pytest
from starlette.routing import Mount, Route

from mltrail.server.auth.access import Access
from mltrail.server.routing import ENDPOINTS

#: rule kinds bound to one resource: a user without permission on it is refused (403)
RESOURCE_KINDS = ("experiment", "run", "runs", "logged_model", "registered_model", "grant", "admin", "answer", "self")


def test_every_endpoint_of_the_route_table_declares_a_permission_rule():
    missing = [f"{ep.method} {ep.path}" for ep in ENDPOINTS if not isinstance(ep.access, Access)]
    assert missing == []


def test_an_app_with_a_route_lacking_a_rule_refuses_to_start_with_auth(sqlite_uri, tmp_path, monkeypatch):
    import dataclasses

    from mltrail.server import app as app_module
    from mltrail.server import create_app

    open_route = dataclasses.replace(ENDPOINTS[0], path="experiments/open", access=None)
    monkeypatch.setattr(app_module, "ENDPOINTS", (*ENDPOINTS, open_route))
    with pytest.raises(RuntimeError, match="experiments/open"):
        create_app(backend_store_uri=sqlite_uri, artifacts_destination=str(tmp_path), auth=True)


def _concrete(path: str) -> str:
    """A route path with its parameters filled in."""
    for name, value in (("{artifact_path:path}", "0/r/artifacts/a.txt"), ("{run_id}", "0" * 32),
                        ("{experiment_id}", "0"), ("{name}", "m"), ("{version}", "1"), ("{model_id}", "m-1"),
                        ("{tag_key}", "k"), ("{upload_id}", "0" * 32), ("{part_number}", "1")):
        path = path.replace(name, value)
    return path


def test_without_credentials_every_served_route_is_refused(auth_server):
    server = auth_server()
    open_paths = {"/health", "/version", "/login", "/logout"}
    checked = 0
    client = httpx.Client(timeout=30, follow_redirects=False)
    for route in server.app.router.routes:
        if isinstance(route, Mount) or route.path in open_paths or route.path.startswith("/static-ui/"):
            continue
        assert isinstance(route, Route)
        for method in sorted(route.methods - {"HEAD"}):
            response = client.request(method, server.url + _concrete(route.path))
            checked += 1
            if route.path.startswith(("/api/", "/ajax-api/")) or method != "GET":
                assert response.status_code == 401, (method, route.path, response.text)
                assert response.headers["www-authenticate"].startswith("Basic")
                assert response.json()["error_code"] == "UNAUTHENTICATED"
            else:  # UI pages send the browser to the sign-in page
                assert response.status_code == 303, (method, route.path)
                assert response.headers["location"].startswith("/login?next=")
    assert checked > 2 * len(ENDPOINTS)


def _args_for(ep, ids: dict[str, str]) -> dict:
    values = {"experiment_id": ids["experiment"], "run_id": ids["run"], "run_ids": [ids["run"]],
              "experiment_ids": [ids["experiment"]], "name": "guarded-model", "version": "1", "key": "k",
              "value": "v", "metric_key": "m", "username": "admin", "password": "long-enough-1",
              "permission": "READ", "experiment_name": "guarded", "new_name": "renamed", "alias": "champ",
              "source": f"runs:/{ids['run']}/model", "stage": "Staging", "status": "FINISHED",
              "timestamp": 1, "is_admin": True}
    typed = {"double": 1.5, "int64": 1, "bool": True}
    return {f.name: typed.get(f.kind, values.get(f.name, "x")) for f in ep.fields if f.required or f.name in values}


def test_a_user_without_permission_is_refused_by_every_resource_endpoint(auth_server):
    server = auth_server(auth_default_permission="NO_PERMISSIONS")
    admin = server.admin
    experiment = server.call("POST", "experiments/create", admin, json={"name": "guarded"}).json()["experiment_id"]
    run = server.call("POST", "runs/create", admin, json={"experiment_id": experiment}).json()["run"]["info"]["run_id"]
    server.call("POST", "registered-models/create", admin, json={"name": "guarded-model"}).raise_for_status()
    model_id = server.call("POST", "logged-models", admin,
                           json={"experiment_id": experiment, "name": "lm"}).json()["model"]["info"]["model_id"]
    eve = server.user("eve")
    refused = []
    for ep in ENDPOINTS:
        if ep.access.kind not in RESOURCE_KINDS:
            continue
        args = _args_for(ep, {"experiment": experiment, "run": run})
        path = ep.path.replace("{model_id}", model_id).replace("{tag_key}", "k")
        if ep.method == "GET":
            response = server.call("GET", path, eve, params=args)
        else:
            response = server.call(ep.method, path, eve, json=args)
        assert response.status_code == 403, (ep.method, ep.path, response.text)
        assert response.json()["error_code"] == "PERMISSION_DENIED"
        refused.append(ep.path)
    assert len(refused) > 50
    # and nothing changed: the admin still sees the experiment's one run, unrenamed
    found = server.call("POST", "runs/search", admin, json={"experiment_ids": [experiment]}).json()["runs"]
    assert [r["info"]["run_id"] for r in found] == [run]
    assert server.call("GET", "experiments/get", admin, params={"experiment_id": experiment}).json()[
        "experiment"]["name"] == "guarded"


def test_searches_list_only_what_the_user_may_read(auth_server):
    server = auth_server(auth_default_permission="NO_PERMISSIONS")
    ana, bob = server.user("ana"), server.user("bob")
    mine = server.call("POST", "experiments/create", ana, json={"name": "ana-exp"}).json()["experiment_id"]
    theirs = server.call("POST", "experiments/create", bob, json={"name": "bob-exp"}).json()["experiment_id"]
    for headers, exp in ((ana, mine), (bob, theirs)):
        server.call("POST", "runs/create", headers, json={"experiment_id": exp}).raise_for_status()
        server.call("POST", "registered-models/create", headers, json={"name": f"model-{exp}"}).raise_for_status()
    names = [e["name"] for e in server.call("GET", "experiments/search", ana, params={"max_results": 100}).json()[
        "experiments"]]
    assert names == ["ana-exp"]
    runs = server.call("POST", "runs/search", ana, json={"experiment_ids": [mine, theirs]}).json()["runs"]
    assert {r["info"]["experiment_id"] for r in runs} == {mine}
    assert server.call("POST", "runs/search", ana, json={"experiment_ids": [theirs]}).json() == {"runs": []}
    models = server.call("GET", "registered-models/search", ana).json()["registered_models"]
    assert [m["name"] for m in models] == [f"model-{mine}"]
    # the admin sees everything
    assert len(server.call("GET", "experiments/search", server.admin).json()["experiments"]) == 3

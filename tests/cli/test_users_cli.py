"""``mltrail users``: users, tokens and permissions written into the tracking database, on every
backend, and honoured by ``mltrail server --auth`` over the same database."""

from __future__ import annotations

import httpx
from click.testing import CliRunner

from mltrail.cli import main


def _users(uri: str, *args: str, stdin: str | None = None):
    return CliRunner().invoke(main, ["users", *args, "--backend-store-uri", uri], input=stdin)


def test_users_create_grant_token_revoke_list_delete(store_uri):
    assert _users(store_uri, "create", "root", "--admin", "--password-stdin", stdin="root-password-1\n").exit_code == 0
    made = _users(store_uri, "create", "ana", "--password-stdin", stdin="ana-password-1\n")
    assert made.exit_code == 0 and made.output.strip() == "Created user 'ana'"
    granted = _users(store_uri, "grant", "ana", "--experiment", "0", "--permission", "edit")
    assert granted.exit_code == 0 and "EDIT on experiment '0'" in granted.output
    assert _users(store_uri, "grant", "ana", "--model", "taxi", "--permission", "MANAGE").exit_code == 0
    token = _users(store_uri, "token", "ana", "--name", "laptop", "--expires-in-days", "30")
    assert token.exit_code == 0 and token.output.startswith("mlt_") and len(token.output.strip()) == 47
    listed = _users(store_uri, "list").output.splitlines()
    assert listed[0] == "ana\tuser\ttokens: laptop\tpermissions: experiment 0: EDIT, model taxi: MANAGE"
    assert listed[1] == "root\tadmin\ttokens: -\tpermissions: -"
    assert _users(store_uri, "revoke", "ana", "--experiment", "0").exit_code == 0
    assert _users(store_uri, "revoke", "ana", "--token", "laptop").exit_code == 0
    assert _users(store_uri, "list").output.splitlines()[0] == "ana\tuser\ttokens: -\tpermissions: model taxi: MANAGE"
    assert _users(store_uri, "delete", "ana").exit_code == 0
    assert [line.split("\t")[0] for line in _users(store_uri, "list").output.splitlines()] == ["root"]


def test_users_bad_input_is_one_clear_line(sqlite_uri):
    assert _users(sqlite_uri, "create", "ana", "--password-stdin", stdin="ana-password-1\n").exit_code == 0
    cases = [
        (("create", "ana", "--password-stdin"), "ana-password-1\n", "User 'ana' already exists"),
        (("create", "bob", "--password-stdin"), "short\n", "Invalid password: must be 8-1024 characters"),
        (("create", "bob:x", "--password-stdin"), "long-enough-1\n", "Invalid user name 'bob:x'"),
        (("grant", "nobody", "--experiment", "0", "--permission", "READ"), None, "User 'nobody' does not exist"),
        (("grant", "ana", "--experiment", "0", "--model", "m", "--permission", "READ"), None,
         "Name exactly one of --experiment ID or --model NAME"),
        (("grant", "ana", "--experiment", "zero", "--permission", "READ"), None, "Invalid experiment id 'zero'"),
        (("revoke", "ana", "--token", "nope"), None, "User 'ana' has no token named 'nope'"),
        (("revoke", "ana", "--experiment", "0"), None, "has no permission of their own on experiment '0'"),
    ]
    for args, stdin, message in cases:
        result = _users(sqlite_uri, *args, stdin=stdin)
        assert result.exit_code != 0, args
        assert message in result.output, (args, result.output)
        if stdin:
            assert stdin.strip() not in result.output


def test_a_cli_token_works_on_the_server_until_the_cli_revokes_it(auth_server, sqlite_uri):
    server = auth_server(backend_uri=sqlite_uri, auth_cache_ttl=0)
    assert _users(sqlite_uri, "create", "ana", "--password-stdin", stdin="ana-password-1\n").exit_code == 0
    token = _users(sqlite_uri, "token", "ana", "--name", "ci").output.strip()
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(server.url + "/api/2.0/mlflow/experiments/search", headers=headers, timeout=30).status_code == 200
    assert _users(sqlite_uri, "revoke", "ana", "--token", "ci").exit_code == 0
    assert httpx.get(server.url + "/api/2.0/mlflow/experiments/search", headers=headers, timeout=30).status_code == 401

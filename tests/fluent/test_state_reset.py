"""The suite's isolation: every test starts with no active run, no active experiment and no cached
client (tests/conftest.py calls ``mltrail.fluent._reset_state`` around each test)."""

from __future__ import annotations

import os

import mltrail
import mltrail.store
from mltrail.fluent import _state


def test_reset_forgets_runs_experiments_and_clients_of_a_relative_sqlite_uri(tmp_path):
    mltrail.set_tracking_uri("sqlite:///mltrail.db")  # relative: a file in the test's own working dir
    mltrail.set_experiment("kept-nowhere")
    run = mltrail.start_run()
    client = _state.client_for()
    assert os.path.exists("mltrail.db") and mltrail.active_run().info.run_id == run.info.run_id
    mltrail.fluent._reset_state()
    mltrail.store._clear_store_cache()  # as tests/conftest.py does after each test
    assert mltrail.active_run() is None and mltrail.last_active_run() is None
    assert _state.active_experiments == {} and _state._clients == {}
    os.chdir(tmp_path)  # another working dir: the same relative URI is another database
    assert _state.client_for() is not client
    assert mltrail.get_experiment_by_name("kept-nowhere") is None


def test_every_test_starts_clean():
    assert mltrail.active_run() is None and mltrail.last_active_run() is None
    assert _state._clients == {} and _state.active_experiments == {}

"""Tracked sweeps while the tracking server is gone (issue 13 item 5): each sweep's result is the
untracked one, one warning says so, and sweeps do not wait on the down server (a real server behind
a real TCP proxy that refuses connections)."""

from __future__ import annotations

import numpy as np
from hyperopt import Trials, fmin, hp, tpe

import mltrail
from benchmarks.reliability.tcp_proxy import TcpProxy

SPACE = {"x": hp.uniform("x", 0, 1)}


def _sweep(max_evals: int, seed: int):
    trials = Trials()
    best = fmin(lambda p: (p["x"] - 0.3) ** 2, SPACE, algo=tpe.suggest, max_evals=max_evals, trials=trials,
                rstate=np.random.default_rng(seed), show_progressbar=False)
    return best, trials.losses()


def test_sweeps_do_not_wait_on_a_server_that_went_away(tracking, autolog_warnings, http_uri, monkeypatch):
    monkeypatch.setenv("MLTRAIL_HTTP_REQUEST_BACKOFF_FACTOR", "0.05")
    plain = [_sweep(20, seed=s) for s in (1, 2)]
    host, port = http_uri.rsplit("/", 1)[1].split(":")
    with TcpProxy((host, int(port))) as proxy:
        mltrail.set_tracking_uri(proxy.url)
        mltrail.hyperopt.autolog()
        _sweep(3, seed=0)  # tracked: a parent and three trial runs
        assert len(mltrail.MlflowClient(proxy.url).search_runs(["0"])) == 4
        proxy.mode = "refuse"
        assert [_sweep(20, seed=s) for s in (1, 2)] == plain
        # the first sweep found the server gone (three attempts); the second did not try
        assert proxy.accepted["refuse"] == 3
        (warning,) = autolog_warnings()
        assert "(hyperopt): could not start or find a run" in warning and "unaffected" in warning


def test_a_server_gone_mid_sweep_costs_a_few_attempts_not_one_per_trial(tracking, autolog_warnings, http_uri,
                                                                      monkeypatch):
    monkeypatch.setenv("MLTRAIL_HTTP_REQUEST_BACKOFF_FACTOR", "0.05")
    plain = _sweep(30, seed=1)
    host, port = http_uri.rsplit("/", 1)[1].split(":")
    with TcpProxy((host, int(port))) as proxy:
        mltrail.set_tracking_uri(proxy.url)
        mltrail.hyperopt.autolog()
        calls = []

        def objective(p):
            calls.append(1)
            if len(calls) == 5:  # the server goes away during trial 5
                proxy.mode = "refuse"
            return (p["x"] - 0.3) ** 2

        trials = Trials()
        best = fmin(objective, SPACE, algo=tpe.suggest, max_evals=30, trials=trials,
                    rstate=np.random.default_rng(1), show_progressbar=False)
        assert (best, trials.losses()) == plain
        # trial 5's end and the sweep's end are buffered, later trials skip the server, the sweep's
        # end tries once to log the unlogged trials and stops: a handful of connections (with the
        # background retries), not several per trial (171 before that was fixed)
        assert proxy.accepted["refuse"] <= 20
        (warning,) = autolog_warnings()
        assert "(hyperopt)" in warning and "unaffected" in warning

"""Test helpers for MLflow 3's layout: a run's models are logged models, not folders in its artifacts."""

from __future__ import annotations

import os
from typing import Optional

import mltrail


def run_model(run_id: str, name: str = "model", client: Optional[mltrail.MlflowClient] = None):
    """The newest logged model named ``name`` that the run logged (what ``runs:/<run>/<name>`` loads), or None."""
    return (client or mltrail.MlflowClient()).get_logged_model_of_run(run_id, name)


def has_model(run_id: str, name: str = "model", client: Optional[mltrail.MlflowClient] = None) -> bool:
    """Whether the run logged a model named ``name``."""
    return run_model(run_id, name, client) is not None


def model_folder(run_id: str, name: str = "model", client: Optional[mltrail.MlflowClient] = None) -> str:
    """The local folder of the run's model ``name`` (AssertionError when the run logged none)."""
    model = run_model(run_id, name, client)
    assert model is not None, f"run {run_id} logged no model named {name!r}"
    return model.artifact_location


def model_files(run_id: str, name: str = "model", client: Optional[mltrail.MlflowClient] = None) -> list[str]:
    """Sorted names of the files at the top of the run's model ``name``."""
    return sorted(os.listdir(model_folder(run_id, name, client)))

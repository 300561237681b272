"""``mltrail models serve`` and ``mltrail models predict``.

    $ mltrail models serve -m runs:/<run_id>/model --port 5001 --workers 2
    $ curl -d '{"dataframe_split": {"columns": ["a"], "data": [[1.0]]}}' \\
           -H 'Content-Type: application/json' localhost:5001/invocations
    $ mltrail models predict -m runs:/<run_id>/model -i input.json -o predictions.json
"""

from __future__ import annotations

import sys
from typing import Optional

import click


@click.command()
@click.option("-m", "--model-uri", required=True, help="runs:/<run_id>/<path>, models:/<name>/<version>, or a path.")
@click.option("-h", "--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("-p", "--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("-w", "--workers", default=1, show_default=True, type=click.IntRange(min=1), help="Worker processes.")
@click.option("--no-verify", is_flag=True, help="Skip the integrity check of the model's files.")
@click.option("--log-level", default="warning", show_default=True, help="uvicorn log level.")
@click.option("--max-body-size", default=None, type=click.IntRange(min=1),
              help="Largest request body in bytes; larger ones get a 413 "
                   "(default: MLTRAIL_SCORING_MAX_BODY_BYTES, else 100 MB).")
@click.option("--env-manager", type=click.Choice(["local"]), default="local", show_default=True,
              help="Accepted for MLflow compatibility: the model runs in the current environment.")
def serve(model_uri: str, host: str, port: int, workers: int, no_verify: bool, log_level: str,
          max_body_size: Optional[int], env_manager: str) -> None:
    """Serve a model over HTTP: POST /invocations, GET /ping and /health.

    With --workers N, a worker that dies is restarted (with a backoff) while the others keep serving.
    """
    import logging

    from ..exceptions import MltrailError
    from ..models.scoring_server import serve as run_server

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("mltrail: %(message)s"))
    server_log = logging.getLogger("mltrail.models.scoring_server")
    server_log.addHandler(handler)
    server_log.setLevel(logging.INFO)
    try:
        run_server(model_uri, host=host, port=port, workers=workers, verify=False if no_verify else None,
                   log_level=log_level, max_body_size=max_body_size)
    except MltrailError as e:
        raise click.ClickException(e.message) from None


@click.command()
@click.option("-m", "--model-uri", required=True, help="runs:/<run_id>/<path>, models:/<name>/<version>, or a path.")
@click.option("-i", "--input-path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="JSON (same forms as /invocations) or CSV file.")
@click.option("-o", "--output-path", default=None, type=click.Path(dir_okay=False),
              help="Write predictions here instead of stdout.")
@click.option("-t", "--content-type", type=click.Choice(["json", "csv"]), default=None,
              help="Input format (default: from the file extension, else json).")
@click.option("--no-verify", is_flag=True, help="Skip the integrity check of the model's files.")
@click.option("--env-manager", type=click.Choice(["local"]), default="local", show_default=True,
              help="Accepted for MLflow compatibility: the model runs in the current environment.")
def predict(model_uri: str, input_path: str, output_path: Optional[str], content_type: Optional[str],
            no_verify: bool, env_manager: str) -> None:
    """Predict with a model on a file; prints {"predictions": [...]}."""
    from ..exceptions import MltrailError
    from ..models.pyfunc_model import load_model
    from ..models.scoring_payload import parse_csv, parse_json, predictions_to_json

    if content_type is None:
        content_type = "csv" if input_path.lower().endswith(".csv") else "json"
    try:
        with open(input_path, "rb") as f:
            body = f.read()
        if content_type == "csv":
            data, params = parse_csv(body), None
        else:
            data, params = parse_json(body)
        model = load_model(model_uri, verify=False if no_verify else None)
        text = predictions_to_json(model.predict(data, params=params))
    except MltrailError as e:
        raise click.ClickException(e.message) from None
    if output_path:
        with open(output_path, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        sys.stdout.write(text + "\n")

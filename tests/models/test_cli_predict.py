"""``mltrail models predict``: predictions for a JSON or CSV file."""

from __future__ import annotations

import json

from click.testing import CliRunner

from mltrail.cli import main


def test_predict_json_and_csv_files(saved_model, pipeline, iris_like, tmp_path):
    X, _ = iris_like
    expected = pipeline.predict(X[:6]).tolist()
    json_in = tmp_path / "input.json"
    json_in.write_text(json.dumps({"dataframe_split": json.loads(X[:6].to_json(orient="split", index=False))}))
    csv_in = tmp_path / "input.csv"
    X[:6].to_csv(csv_in, index=False)
    runner = CliRunner()
    r = runner.invoke(main, ["models", "predict", "-m", saved_model, "-i", str(json_in)])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == {"predictions": expected}
    out = tmp_path / "out.json"
    r = runner.invoke(main, ["models", "predict", "-m", saved_model, "-i", str(csv_in), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert json.loads(out.read_text()) == {"predictions": expected}


def test_predict_reports_bad_input_and_tampered_models(saved_model, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"inputs": [[1.0, 2.0]]}')
    r = CliRunner().invoke(main, ["models", "predict", "-m", saved_model, "-i", str(bad)])
    assert r.exit_code == 1
    assert "has 2 columns but the signature expects 4" in r.output
    with open(f"{saved_model}/requirements.txt", "a") as f:
        f.write("x\n")
    good = tmp_path / "good.json"
    good.write_text('{"inputs": [[1.0, 2.0, 3.0, 4.0]]}')
    r = CliRunner().invoke(main, ["models", "predict", "-m", saved_model, "-i", str(good)])
    assert r.exit_code == 1 and "requirements.txt" in r.output
    r = CliRunner().invoke(main, ["models", "predict", "-m", saved_model, "-i", str(good), "--no-verify"])
    assert r.exit_code == 0 and "predictions" in r.output

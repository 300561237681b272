"""Numbers from environment variables: the strict policy refuses a bad value naming the variable, the
value and the rule; the lenient one warns once with the same words and keeps the default."""

from __future__ import annotations

import logging
import uuid

import pytest

from mltrail.client.registry_storage import PENDING_TIMEOUT_ENV, pending_timeout_seconds
from mltrail.env_numbers import NumberRule, env_number, require_number
from mltrail.exceptions import InvalidParameterError
from mltrail.models.scoring_server import MAX_BODY_ENV, max_body_bytes
from mltrail.store.sql.engine import STATEMENT_TIMEOUT_ENV, create_sql_engine

VAR = "MLTRAIL_TEST_ENV_NUMBER"
POSITIVE_SECONDS = NumberRule("seconds", positive=True)
AT_LEAST_ZERO = NumberRule("seconds", minimum=0)
WHOLE_BYTES = NumberRule("bytes", whole=True, positive=True)


@pytest.mark.parametrize(
    "rule, text, value",
    [
        (POSITIVE_SECONDS, "1e-9", 1e-9), (POSITIVE_SECONDS, " 2.5 ", 2.5),
        (AT_LEAST_ZERO, "0", 0.0), (AT_LEAST_ZERO, "-0", 0.0), (AT_LEAST_ZERO, "7", 7.0),
        (WHOLE_BYTES, "1", 1), (WHOLE_BYTES, "20", 20),
    ],
)
def test_a_value_keeping_the_rule_is_read(monkeypatch, rule, text, value):
    monkeypatch.setenv(VAR, text)
    for strict in (True, False):
        read = env_number(VAR, 99, rule, strict=strict)
        assert read == value and type(read) is type(value)


@pytest.mark.parametrize(
    "rule, text, words",
    [
        (POSITIVE_SECONDS, "0", "a positive finite number of seconds"),
        (POSITIVE_SECONDS, "-1e-9", "a positive finite number of seconds"),
        (POSITIVE_SECONDS, "inf", "a positive finite number of seconds"),
        (POSITIVE_SECONDS, "soon", "a positive finite number of seconds"),
        (AT_LEAST_ZERO, "-0.001", "a finite number of seconds >= 0"),
        (AT_LEAST_ZERO, "nan", "a finite number of seconds >= 0"),
        (AT_LEAST_ZERO, "-inf", "a finite number of seconds >= 0"),
        (WHOLE_BYTES, "0", "a positive whole number of bytes"),
        (WHOLE_BYTES, "1.5", "a positive whole number of bytes"),
        (WHOLE_BYTES, "1e3", "a positive whole number of bytes"),
    ],
)
def test_strict_refuses_a_value_breaking_the_rule_naming_variable_value_and_rule(monkeypatch, rule, text, words):
    monkeypatch.setenv(VAR, text)
    with pytest.raises(InvalidParameterError) as e:
        env_number(VAR, 99, rule, strict=True)
    assert e.value.message == f"{VAR}={text!r} is invalid: it must be {words}"


def test_lenient_keeps_the_default_and_warns_once_per_variable_and_value(monkeypatch, caplog):
    var = f"{VAR}_{uuid.uuid4().hex}"  # warnings are once per process: a name no other test read
    caplog.set_level(logging.WARNING, logger="mltrail")
    monkeypatch.setenv(var, "-2")
    assert [env_number(var, 60, AT_LEAST_ZERO, strict=False) for _ in range(3)] == [60, 60, 60]
    monkeypatch.setenv(var, "lots")
    assert env_number(var, 60, AT_LEAST_ZERO, strict=False) == 60
    warned = [r.getMessage() for r in caplog.records if r.name == "mltrail"]
    assert warned == [
        f"{var}='-2' is invalid: it must be a finite number of seconds >= 0; using the default 60",
        f"{var}='lots' is invalid: it must be a finite number of seconds >= 0; using the default 60",
    ]


def test_unset_or_blank_is_the_default_under_both_policies(monkeypatch):
    monkeypatch.delenv(VAR, raising=False)
    assert env_number(VAR, 30, POSITIVE_SECONDS, strict=True) == 30
    monkeypatch.setenv(VAR, "  ")
    assert env_number(VAR, 30, POSITIVE_SECONDS, strict=True) == env_number(VAR, 30, POSITIVE_SECONDS, strict=False) == 30


def test_a_value_given_in_code_follows_the_same_rule():
    assert require_number(0, AT_LEAST_ZERO, "timeout") == 0
    for bad in (True, "5", float("nan"), -1):
        with pytest.raises(InvalidParameterError, match=f"timeout={bad!r} is invalid: it must be a finite number"):
            require_number(bad, AT_LEAST_ZERO, "timeout")
    with pytest.raises(InvalidParameterError, match="max_body_size=2.0 is invalid: it must be a positive whole"):
        max_body_bytes(2.0)


def test_the_strict_readers_of_stores_and_servers(monkeypatch):
    monkeypatch.setenv(STATEMENT_TIMEOUT_ENV, "0")
    with pytest.raises(InvalidParameterError, match=f"{STATEMENT_TIMEOUT_ENV}='0' is invalid: it must be a positive"):
        create_sql_engine("postgresql://nobody@127.0.0.1:9/none")  # refused before any connection
    monkeypatch.setenv(PENDING_TIMEOUT_ENV, "0")
    assert pending_timeout_seconds() == 0.0
    monkeypatch.setenv(MAX_BODY_ENV, "1")
    assert max_body_bytes() == 1
    monkeypatch.setenv(MAX_BODY_ENV, "0.5")
    with pytest.raises(InvalidParameterError, match=f"{MAX_BODY_ENV}='0.5' is invalid: it must be a positive whole"):
        max_body_bytes()


def test_the_http_client_reads_mltrail_then_mlflow_names_and_refuses_a_bad_value(monkeypatch):
    from mltrail._http import HttpClient

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "7")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.delenv("MLTRAIL_HTTP_REQUEST_TIMEOUT", raising=False)
    client = HttpClient("http://127.0.0.1:9")
    assert (client.timeout, client.max_retries) == (7.0, 0)
    monkeypatch.setenv("MLTRAIL_HTTP_REQUEST_TIMEOUT", "3")  # mltrail's name wins
    assert HttpClient("http://127.0.0.1:9").timeout == 3.0
    for bad in ("-1", "nan", "inf", "soon"):
        monkeypatch.setenv("MLTRAIL_HTTP_REQUEST_TIMEOUT", bad)
        with pytest.raises(InvalidParameterError,
                           match=f"MLTRAIL_HTTP_REQUEST_TIMEOUT='{bad}' is invalid: it must be a finite number >= 0"):
            HttpClient("http://127.0.0.1:9")


def test_the_s3_settings_are_refused_naming_the_rule(monkeypatch):
    from mltrail.artifacts.s3 import MIN_CHUNK, multipart_chunk_size
    from mltrail.artifacts.s3_client import s3_client

    monkeypatch.setenv("MLTRAIL_S3_MULTIPART_CHUNK_SIZE", str(MIN_CHUNK))
    assert multipart_chunk_size() == MIN_CHUNK
    monkeypatch.setenv("MLTRAIL_S3_MULTIPART_CHUNK_SIZE", str(MIN_CHUNK - 1))
    with pytest.raises(InvalidParameterError, match=f"it must be a whole number of bytes >= {MIN_CHUNK}$"):
        multipart_chunk_size()
    for name, bad, rule in [("MLTRAIL_S3_READ_TIMEOUT", "inf", "a positive finite number"),
                            ("MLTRAIL_S3_MAX_ATTEMPTS", "2.5", "a positive whole number")]:
        monkeypatch.setenv(name, bad)
        with pytest.raises(InvalidParameterError, match=f"{name}='{bad}' is invalid: it must be {rule}$"):
            s3_client()
        monkeypatch.delenv(name)


def test_the_lenient_readers_of_autologging_keep_their_defaults(monkeypatch):
    """Autologging never breaks training over a bad setting: the bound and the buffer keep their
    defaults (a NaN buffer size used to crash inside ``int()``); 0 or less turns the write bound off."""
    from mltrail.autologging import _bounded, _retry_buffer

    for text in ("nan", "inf", "soon"):
        monkeypatch.setenv(_bounded.WRITE_TIMEOUT_ENV, text)
        assert _bounded.write_timeout() == _bounded.DEFAULT_WRITE_TIMEOUT_S
        monkeypatch.setenv(_retry_buffer.SIZE_ENV, text)
        assert _retry_buffer._env_number(_retry_buffer.SIZE_ENV, _retry_buffer.DEFAULT_SIZE) == _retry_buffer.DEFAULT_SIZE
    monkeypatch.setenv(_retry_buffer.SECONDS_ENV, "-5")
    assert _retry_buffer._env_number(_retry_buffer.SECONDS_ENV, _retry_buffer.DEFAULT_SECONDS) == _retry_buffer.DEFAULT_SECONDS
    monkeypatch.setenv(_retry_buffer.SECONDS_ENV, "0")
    assert _retry_buffer._env_number(_retry_buffer.SECONDS_ENV, _retry_buffer.DEFAULT_SECONDS) == 0
    for text, bound in (("0", None), ("-1", None), ("2.5", 2.5)):
        monkeypatch.setenv(_bounded.WRITE_TIMEOUT_ENV, text)
        assert _bounded.write_timeout() == bound

"""A schemathesis run over the server's own OpenAPI description (``/openapi.json``, derived from the
route table): generated requests, valid and not, to every operation; zero 5xx answers and every
answer conforming to the description (status codes, content types, response schemas).

Not checked: "schema-valid data must be accepted" (``positive_data_acceptance``): as MLflow,
the server refuses values the types allow but the rules do not (an experiment name taken, a
key with ``..``) with 400 and an error code.

Bounded: a few examples per operation (about a minute on two cores); derandomized, so a failure
repeats.
"""

from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

#: examples per operation (``MLTRAIL_TEST_SCHEMATHESIS_EXAMPLES`` for a longer run)
EXAMPLES = int(os.environ.get("MLTRAIL_TEST_SCHEMATHESIS_EXAMPLES", "12"))


def test_every_operation_answers_by_its_description(sqlite_uri, tmp_path) -> None:
    from mltrail.server import create_app

    app = create_app(backend_store_uri=sqlite_uri, artifacts_destination=str(tmp_path / "artifacts"),
                     access_log=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                  derandomize=True, database=None, report_multiple_bugs=False)
        def check(case) -> None:
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - every failure is collected
            failures.append(f"{operation.label}: {str(exc)[:2000]}")
    assert operations >= 50
    assert not failures, "\n\n".join(failures)

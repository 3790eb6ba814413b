"""Fuzzing the API from its own OpenAPI document (schemathesis, in-process over WSGI): no input yields a 5xx."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

#: Examples per operation and mode: enough to hit every field's edge, bounded so the whole run stays short.
EXAMPLES = 15


@pytest.mark.slow
@pytest.mark.parametrize("role", ["admin", "cashier"])
def test_no_input_makes_a_server_error(api_app: Flask, auth: Any, world: dict[str, Any], role: str) -> None:
    """Valid and invalid generated requests to every operation, authenticated, never answer 5xx."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app)
    headers = auth(role)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def call(case: schemathesis.Case) -> None:
                case.headers = {**(case.headers or {}), **headers}  # the generated Authorization would be refused
                response = case.call()
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path} → {response.status_code}: {case!r}")

            call()
    assert failures == []

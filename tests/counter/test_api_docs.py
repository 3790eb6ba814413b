"""The OpenAPI document's errors are the ones the API answers, and Swagger UI is served from local files."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server


def _error_validator(client: FlaskClient) -> jsonschema_rs.Draft7Validator:
    document = client.get("/api/v1/openapi.json").get_json()
    schema = {**document["components"]["schemas"]["Error"], "components": document["components"]}
    return jsonschema_rs.Draft7Validator(schema)


def test_the_documented_error_schema_matches_real_errors(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """Real 401, 404 and 422 answers validate against the OpenAPI Error schema (string code, problems list)."""
    validator = _error_validator(api)
    unauthorised = api.get("/api/v1/documents")
    missing = api.get("/api/v1/documents/999999", headers=auth("finance"))
    invalid = api.post(
        "/api/v1/receipts",
        json={"series_id": world["receipts"]["id"], "payer": {}, "fees": [], "payment_method": "POS?"},
        headers=auth("cashier", "docs-1"),
    )
    assert [a.status_code for a in (unauthorised, missing, invalid)] == [401, 404, 422]
    for answer in (unauthorised, missing, invalid):
        errors = [e.message for e in validator.iter_errors(answer.get_json())]
        assert errors == [], answer.get_json()
    assert invalid.get_json()["problems"]


def test_each_operation_lists_its_error_statuses(api: FlaskClient) -> None:
    """Protected operations list 401/403, paths with an id 404, writes 409 and 422 — all with the Error schema."""
    document = api.get("/api/v1/openapi.json").get_json()
    cancel = document["paths"]["/api/v1/fee-requests/{request_id}/cancel"]["post"]["responses"]
    assert {"401", "403", "404", "409", "422"} <= set(cancel)
    listing = document["paths"]["/api/v1/documents"]["get"]["responses"]
    assert {"401", "403"} <= set(listing)
    assert "404" not in listing
    forbidden = document["components"]["responses"]["FORBIDDEN"]["content"]["application/json"]["schema"]
    assert forbidden == {"$ref": "#/components/schemas/Error"}


@pytest.mark.browser
@pytest.mark.slow
def test_swagger_ui_renders_from_local_files(api_app: Flask, tmp_path: Path) -> None:
    """Swagger UI opens in Chromium under the CSP, loads nothing from elsewhere, and lists the operations."""
    sync_api = pytest.importorskip("playwright.sync_api")
    server = make_server("127.0.0.1", 0, api_app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    requested: list[str] = []
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=os.environ.get("EINVOICE_TEST_CHROMIUM", "/usr/bin/chromium"),
                headless=True,
                args=["--no-sandbox", "--disable-gpu"],
            )
            try:
                page = browser.new_page(viewport={"width": 1366, "height": 768})
                page.on("request", lambda request: requested.append(request.url))
                page.goto(base + "/api/v1/docs")
                page.wait_for_selector(".opblock-summary-path", timeout=15_000)
                paths = page.locator(".opblock-summary-path").all_inner_texts()
                assert "/api/v1/fee-requests" in [path.strip() for path in paths]
                artifacts = Path(__file__).resolve().parents[2] / "test-artifacts" / "counter"
                artifacts.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(artifacts / "api-docs.png"))
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert [url for url in requested if not url.startswith(base) and not url.startswith("data:")] == []

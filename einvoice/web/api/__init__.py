"""The REST API under ``/api/v1``: flask-smorest blueprints, marshmallow schemas, OpenAPI at ``/api/v1/openapi.json``.

What the blueprints share is in :mod:`einvoice.web.api.base`.
"""

from __future__ import annotations

from flask import Flask

from einvoice.web.api import (
    admin,
    corrections,
    documents,
    drafts,
    fee_requests,
    finance,
    finance_bank,
    finance_jobs,
    printing,
    session,
    transmission,
    users,
    verify,
)
from einvoice.web.api.base import PREFIX, IdConverter, id_schema
from einvoice.web.api.openapi_doc import EinvoiceApi, docs, document_errors


def init_app(app: Flask) -> EinvoiceApi:
    """Register the API and its OpenAPI document on ``app``."""
    app.config.setdefault("API_TITLE", "einvoice")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "components": {
                "securitySchemes": {
                    "bearer": {"type": "http", "scheme": "bearer"},
                    "session": {"type": "apiKey", "in": "cookie", "name": "session"},
                }
            },
            "security": [{"bearer": []}, {"session": []}],
        },
    )
    app.url_map.converters["id"] = IdConverter
    api = EinvoiceApi(app)
    api.register_converter(IdConverter, id_schema)
    modules = (session, documents, corrections, drafts, verify, admin, users, fee_requests, printing)
    for module in (*modules, transmission, finance, finance_jobs, finance_bank):
        api.register_blueprint(module.blp)
    document_errors(api)
    app.register_blueprint(docs)
    return api

"""Series rules live once: creating a series refuses exactly what issuing in it would refuse."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine

from einvoice.domain.documents import Document
from einvoice.domain.kinds import DocumentKind
from einvoice.services import catalogue
from einvoice.services.errors import RequestProblemsError
from einvoice.xmldoc.rules import check_document
from tests import builders

#: (kind, template, symbol): well-formed pairs, and pairs each breaking one rule of the kind.
CASES = [
    (DocumentKind.INVOICE, "1", "C26TAA"),
    (DocumentKind.INVOICE, "7", "C26XAA"),
    (DocumentKind.INVOICE, "1", "C26XAA"),  # X is for template 7 only
    (DocumentKind.INVOICE, "7", "K26TAB"),  # template 7 needs X
    (DocumentKind.INVOICE, "0", "C26TAA"),
    (DocumentKind.INVOICE, "2", "26T"),
    (DocumentKind.RECEIPT, "EBL01", "26TAA"),
    (DocumentKind.RECEIPT, "EBL02", "26TAB"),
    (DocumentKind.RECEIPT, "EBL03", "26TAA"),
    (DocumentKind.RECEIPT, "EBL01", "26T"),  # the old form: refused once Circular 91 applies
    (DocumentKind.RECEIPT, "EBL01", "26TAF"),  # F is not one of the 20 letters
    (DocumentKind.RECEIPT, "EBL01", "C26TAA"),
    (DocumentKind.RECEIPT, "EBL01", "26TAA\n"),
]


def _document(kind: DocumentKind, template: str, symbol: str) -> Document:
    made = builders.invoice() if kind is DocumentKind.INVOICE else builders.receipt()
    return replace(made, template=template, series=symbol, issue_date=date(2026, 9, 2))


#: Where the catalogue reports each series rule: the admin's own field names.
_FIELD_OF_CODE = {
    "DOC_SERIES": "symbol",
    "INV_SERIES_TEMPLATE": "symbol",
    "INV_TEMPLATE": "template",
    "RCT_TEMPLATE": "template",
}


def _refusal(engine: Engine, issuer_id: int, kind: DocumentKind, template: str, symbol: str) -> set[tuple[str, str]]:
    """Return the (code, field) of each problem the catalogue refuses the series with, or nothing if it creates it."""
    try:
        catalogue.create_series(engine, issuer_id=issuer_id, kind=kind, template=template, symbol=symbol)
    except RequestProblemsError as refused:
        return {(p.code, p.path) for p in refused.problems}
    return set()


def test_creating_a_series_refuses_what_issuing_refuses(engine: Engine) -> None:
    """For every case, the catalogue creates the series exactly when a document in it breaks no series rule."""
    issuer = catalogue.create_issuer(engine, {"name": "Đơn vị A", "tax_code": "0101234567", "address": "Hà Nội"})
    for kind, template, symbol in CASES:
        issuing_refuses = {p.code for p in check_document(_document(kind, template, symbol))} & set(_FIELD_OF_CODE)
        expected = {(code, _FIELD_OF_CODE[code]) for code in issuing_refuses}
        assert _refusal(engine, issuer["id"], kind, template, symbol) == expected, (kind, template, symbol)


def test_admin_cannot_create_a_series_issuing_would_refuse(api: FlaskClient, world: dict[str, Any], auth: Any) -> None:
    """An invoice series C26XAA on template 1 is a 422 naming ``symbol``; nothing is stored."""
    body = {"issuer_id": world["issuer"]["id"], "kind": "invoice", "template": "1", "symbol": "C26XAA"}
    answer = api.post("/api/v1/series", json=body, headers=auth("admin", "s1"))
    assert answer.status_code == 422, answer.get_json()
    assert [(p["code"], p["path"]) for p in answer.get_json()["problems"]] == [("INV_SERIES_TEMPLATE", "symbol")]
    listed = api.get("/api/v1/series", headers=auth("admin")).get_json()
    assert "C26XAA" not in {row["symbol"] for row in listed}
    fixed = api.post("/api/v1/series", json={**body, "template": "7"}, headers=auth("admin", "s2"))
    assert fixed.status_code == 201, fixed.get_json()

"""Every registered route × every role, checked against an explicit table: a new route without an entry fails."""

from __future__ import annotations

import re
from typing import Any

import pytest
from counter.page_roles import PAGES
from flask import Flask
from flask.testing import FlaskClient

ROLES = ("anonymous", "cashier", "finance", "admin")
PUBLIC = "public"
C, F, A = "cashier", "finance", "admin"
SIGNED_IN = (C, F, A)

#: (rule, method) → who may call it: PUBLIC, or the roles allowed. Everyone else gets 401 (anonymous) or 403.
TABLE: dict[tuple[str, str], str | tuple[str, ...]] = {
    ("/healthz", "GET"): PUBLIC,
    ("/api/v1/openapi.json", "GET"): PUBLIC,
    ("/api/v1/docs", "GET"): PUBLIC,
    ("/api/v1/docs/<path:filename>", "GET"): PUBLIC,
    # The public lookup pages (tra cứu): anyone holding a lookup code, by design.
    ("/tra-cuu", "GET"): PUBLIC,
    ("/tra-cuu/<code>", "GET"): PUBLIC,
    ("/tra-cuu/<code>/pdf", "GET"): PUBLIC,
    ("/tra-cuu/<code>/xml", "GET"): PUBLIC,
    ("/tra-cuu/kiem-tra", "GET"): PUBLIC,
    ("/tra-cuu/kiem-tra", "POST"): PUBLIC,
    ("/tra-cuu/logo", "GET"): PUBLIC,
    ("/static/tra-cuu/<path:filename>", "GET"): PUBLIC,
    ("/api/v1/session", "POST"): PUBLIC,  # the login itself
    ("/api/v1/session", "GET"): SIGNED_IN,
    ("/api/v1/session", "DELETE"): SIGNED_IN,
    ("/api/v1/receipts", "POST"): (C,),
    ("/api/v1/invoices", "POST"): (C,),
    ("/api/v1/documents", "GET"): SIGNED_IN,
    ("/api/v1/documents/<id:document_id>", "GET"): SIGNED_IN,
    ("/api/v1/documents/<id:document_id>/xml", "GET"): SIGNED_IN,
    ("/api/v1/documents/<id:document_id>/pdf", "GET"): SIGNED_IN,
    ("/api/v1/idempotency-keys/<string:key>", "GET"): SIGNED_IN,
    # Corrections: cashiers replace receipts of their own counter on the day (checked by the service, per document).
    ("/api/v1/receipts/<id:document_id>/replacement", "POST"): SIGNED_IN,
    ("/api/v1/invoices/<id:document_id>/replacement", "POST"): (F, A),
    ("/api/v1/invoices/<id:document_id>/adjustment", "POST"): (F, A),
    ("/api/v1/documents/<id:document_id>/error-notices", "POST"): (F, A),
    ("/api/v1/invoices/<id:document_id>/cancellation", "POST"): (F, A),
    ("/api/v1/drafts", "POST"): (C,),
    ("/api/v1/drafts/<id:draft_id>", "GET"): (C,),
    ("/api/v1/drafts/<id:draft_id>", "PUT"): (C,),
    ("/api/v1/drafts/<id:draft_id>/preview", "GET"): (C,),
    ("/api/v1/drafts/<id:draft_id>/issue", "POST"): (C,),
    ("/api/v1/verify", "POST"): SIGNED_IN,
    ("/api/v1/finance/summary", "GET"): (F, A),
    ("/api/v1/finance/summary/export", "GET"): (F, A),
    ("/api/v1/finance/documents", "GET"): (F, A),
    ("/api/v1/finance/documents/export", "GET"): (F, A),
    ("/api/v1/finance/usage", "GET"): (F, A),
    ("/api/v1/finance/daily", "GET"): (F, A),
    ("/api/v1/finance/daily.svg", "GET"): (F, A),
    ("/api/v1/finance/bank-statements", "POST"): (F, A),
    ("/api/v1/finance/bank-lines", "GET"): (F, A),
    ("/api/v1/finance/unpaid-transfers", "GET"): (F, A),
    ("/api/v1/finance/exports", "POST"): (F, A),
    ("/api/v1/finance/exports/<id:job_id>", "GET"): (F, A),
    ("/api/v1/finance/exports/<id:job_id>", "DELETE"): (F, A),
    ("/api/v1/finance/exports/<id:job_id>/file", "GET"): (F, A),
    ("/api/v1/issuers", "GET"): (F, A),
    ("/api/v1/issuers", "POST"): (A,),
    ("/api/v1/issuers/<id:issuer_id>", "GET"): (F, A),
    ("/api/v1/issuers/<id:issuer_id>", "PATCH"): (A,),
    ("/api/v1/counters", "GET"): SIGNED_IN,
    ("/api/v1/counters", "POST"): (A,),
    ("/api/v1/series", "GET"): SIGNED_IN,
    ("/api/v1/series", "POST"): (A,),
    ("/api/v1/series/<id:series_id>", "GET"): SIGNED_IN,
    ("/api/v1/series/<id:series_id>", "PATCH"): (A,),
    ("/api/v1/fees", "GET"): SIGNED_IN,
    ("/api/v1/fees", "POST"): (A,),
    ("/api/v1/fees/<id:fee_id>", "GET"): SIGNED_IN,
    ("/api/v1/fees/<id:fee_id>", "PATCH"): (A,),
    ("/api/v1/users", "GET"): (A,),
    ("/api/v1/users", "POST"): (A,),
    ("/api/v1/users/<id:user_id>", "GET"): (A,),
    ("/api/v1/users/<id:user_id>", "PATCH"): (A,),
    ("/api/v1/users/<id:user_id>/tokens", "GET"): (A,),
    ("/api/v1/users/<id:user_id>/tokens", "POST"): (A,),
    ("/api/v1/tokens/<id:token_id>", "DELETE"): (A,),
    ("/api/v1/fee-requests", "POST"): (C, A),
    ("/api/v1/fee-requests", "GET"): SIGNED_IN,
    ("/api/v1/fee-requests/<id:request_id>", "GET"): SIGNED_IN,
    ("/api/v1/fee-requests/<id:request_id>/cancel", "POST"): (C, A),
    # The road to the tax authority: what an administrator watches and retries, and the webhooks.
    ("/api/v1/authority-messages", "GET"): (A,),
    ("/api/v1/authority-messages/<id:message_id>", "GET"): (A,),
    ("/api/v1/authority-messages/<id:message_id>/retry", "POST"): (A,),
    ("/api/v1/webhooks", "GET"): (A,),
    ("/api/v1/webhooks", "POST"): (A,),
    ("/api/v1/webhooks/<id:webhook_id>", "DELETE"): (A,),
    ("/api/v1/webhooks/<id:webhook_id>/deliveries", "GET"): (A,),
}


def _routes(app: Flask) -> list[tuple[str, str]]:
    """Return the routes of the API and the public pages (the staff pages' table is ``counter.page_roles``)."""
    return sorted(
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS") and (rule.rule, method) not in PAGES
    )


def _concrete(rule: str) -> str:
    """Fill every converter with an id that does not exist, so nothing is changed by the walk."""
    return re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "999999", re.sub(r"<string:[a-z_]+>", "no-such-key", rule))


def test_every_route_has_a_table_entry(api_app: Flask) -> None:
    """The table names exactly the registered routes: nothing missing, nothing stale."""
    routes = set(_routes(api_app))
    assert sorted(routes - TABLE.keys()) == [], "add these routes to TABLE with the roles allowed"
    assert sorted(TABLE.keys() - routes) == [], "these TABLE entries have no route any more"


@pytest.mark.parametrize("role", ROLES)
def test_each_route_answers_each_role_as_the_table_says(api_app: Flask, api: FlaskClient, auth: Any, role: str) -> None:
    """Allowed callers pass authorisation; anonymous callers get 401, other roles 403; nobody gets a 5xx."""
    wrong = []
    for number, (rule, method) in enumerate(_routes(api_app)):
        allowed = TABLE[(rule, method)]
        headers = auth(role, f"matrix-{role}-{number}" if method == "POST" else None)
        answer = api.open(_concrete(rule), method=method, json={}, headers=headers)
        status = answer.status_code
        if allowed == PUBLIC or role in allowed:
            ok = status not in (401, 403) and status < 500
        else:
            ok = status == (401 if role == "anonymous" else 403)
        if not ok:
            wrong.append(f"{method} {rule} as {role}: {status}")
    assert wrong == []


def test_a_cashier_issues_only_for_their_own_issuer(api: FlaskClient, engine: Any, world: dict[str, Any]) -> None:
    """On issuer 1's series bound to no counter, issuer 1's cashier issues (201), issuer 2's cashier gets 403."""
    from einvoice.services import catalogue
    from einvoice.services.accounts import create_token, create_user

    issuer = world["issuer"]
    unbound = catalogue.create_series(
        engine, issuer_id=issuer["id"], kind="receipt", template="EBL02", symbol="26TAB", counter_id=None
    )
    other = catalogue.create_issuer(
        engine, {"name": "UBND XÃ KHÁC", "tax_code": "0101234567", "address": "Xã Khác, Hà Nội"}
    )
    elsewhere = catalogue.create_counter(engine, other["id"], "Quầy xã khác")
    stranger = create_user(
        engine, username="thu.ngan.2", full_name="Thu ngân xã khác", role="cashier", counter_id=elsewhere["id"]
    )
    tokens = {  # the stranger first: a refusal must take no number
        "stranger": create_token(engine, stranger["id"], "stranger")[0],
        "own": create_token(engine, world["users"]["cashier"]["id"], "own")[0],
    }
    body = {"series_id": unbound["id"], "payer": {"name": "Trần Thị Bích"}, "fees": [{"code": "LP-CT", "quantity": 1}]}
    answers = {
        who: api.post(
            "/api/v1/receipts", json=body, headers={"Authorization": f"Bearer {token}", "Idempotency-Key": who}
        )
        for who, token in tokens.items()
    }
    assert answers["stranger"].status_code == 403
    assert "another issuer" in answers["stranger"].get_json()["message"]
    assert answers["own"].status_code == 201, answers["own"].get_json()
    assert answers["own"].get_json()["number"] == 1  # the refused attempt took no number

"""A paid fee request follows its receipt's replacement: polling it names the receipt that stands now."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from counter.conftest import issue
from flask import Flask
from flask.testing import FlaskClient
from lifecycle.lifecycle_support import receipt_body
from sqlalchemy import Engine, select

from einvoice.domain.parties import Buyer
from einvoice.services.counter import CounterSale, replace_sale
from einvoice.services.issuing import CatalogueFee, Toolchain
from einvoice.storage.schema import fee_requests

DOSSIER = "000.00.21.H26-261202-0007"


def _collect(counter_app: Flask, cashier: FlaskClient, auth: Any) -> tuple[int, int]:
    """Create a fee request through the API and collect it at the counter; return (request id, receipt id)."""
    body = {
        "dossier_code": DOSSIER,
        "payer": {"name": "Trần Thị Bich"},
        "fees": [{"code": "LP-CT", "quantity": 2}],
    }
    created = counter_app.test_client().post("/api/v1/fee-requests", json=body, headers=auth("cashier")).get_json()
    answer = issue(cashier, {}, request=str(created["id"]), payer_name="Trần Thị Bich", **{"sl-LP-CT": "2"})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:1500]
    return created["id"], int(answer.headers["Location"].rsplit("/", 1)[1])


def _polled(counter_app: Flask, auth: Any, request_id: int) -> tuple[str, int]:
    read = counter_app.test_client().get(f"/api/v1/fee-requests/{request_id}", headers=auth("finance")).get_json()
    return read["state"], read["document_id"]


def test_a_counter_replacement_moves_the_paid_request_to_the_replacement(
    counter_app: Flask,
    cashier: FlaskClient,
    auth: Any,
    engine: Engine,
    world: dict[str, Any],
    tools: Toolchain,
    clock: Any,
) -> None:
    """Replacing at the counter the receipt that paid a request: polling the request answers the replacement."""
    request_id, original = _collect(counter_app, cashier, auth)
    assert _polled(counter_app, auth, request_id) == ("paid", original)
    sale = CounterSale(
        series_id=world["receipts"]["id"],
        fees=(CatalogueFee("LP-CT", Decimal(2)),),
        payer=Buyer(name="Trần Thị Bích"),
        method="TM",
        form_key="f" * 20,
    )
    replacement = replace_sale(engine, original, "Ghi sai tên", sale, actor=world["cashier"], now=clock, tools=tools)
    assert replacement != original
    assert _polled(counter_app, auth, request_id) == ("paid", replacement)


def test_an_api_replacement_moves_the_paid_request_to_the_replacement(
    counter_app: Flask, cashier: FlaskClient, auth: Any, engine: Engine, world: dict[str, Any]
) -> None:
    """Replacing through the API the receipt that paid a request: the request names the replacement, nothing else."""
    request_id, original = _collect(counter_app, cashier, auth)
    body = receipt_body(world, reason="Ghi sai tên người nộp")
    made = counter_app.test_client().post(
        f"/api/v1/receipts/{original}/replacement", json=body, headers=auth("finance", "rep-7")
    )
    assert made.status_code == 201, made.get_json()
    assert _polled(counter_app, auth, request_id) == ("paid", made.get_json()["id"])
    with engine.connect() as conn:
        pointing = conn.execute(select(fee_requests.c.document_id)).scalars().all()
    assert pointing == [made.get_json()["id"]]

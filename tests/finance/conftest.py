"""A generated day of receipts for finance tests: two counters, three cashiers, cash/transfer/mixed, replacements."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from einvoice.domain.parties import Buyer
from einvoice.services import catalogue
from einvoice.services.accounts import create_user
from einvoice.services.issuing import Actor, CatalogueFee, ReceiptRequest, Toolchain, issue_document
from einvoice.storage.schema import documents
from tests.conftest import Clock

METHODS = ("TM", "CK", "TM/CK")
#: A payer name a spreadsheet would take for a formula.
FORMULA_NAME = "=HYPERLINK(1)"


@pytest.fixture
def day(engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Clock) -> dict[str, Any]:
    """Issue 36 receipts on one day across two counters and three cashiers; replace three of them.

    A replacement is simulated as the lifecycle work does it in one transaction: the original's state becomes
    ``replaced`` and a new receipt is issued.
    """
    rng = random.Random(12)  # noqa: S311 -- reproducible test data
    second = catalogue.create_series(
        engine,
        issuer_id=world["issuer"]["id"],
        kind="receipt",
        template="EBL02",
        symbol="26TAB",
        counter_id=world["other_counter"]["id"],
    )
    cashiers = [world["cashier"]]
    for username, name, counter in (
        ("thu.ngan.2", "Nguyễn Thị Hoa", world["counter"]),
        ("thu.ngan.3", "Đỗ Minh Quân", world["other_counter"]),
    ):
        row = create_user(engine, username=username, full_name=name, role="cashier", counter_id=counter["id"])
        cashiers.append(Actor(row["id"], username, "cashier", counter["id"], name, world["issuer"]["id"]))
    series_of = {world["counter"]["id"]: world["receipts"]["id"], world["other_counter"]["id"]: second["id"]}
    issued = []
    for i in range(36):
        actor = cashiers[i % 3]
        fees = [CatalogueFee("LP-CT", Decimal(rng.randint(1, 5)))]
        if rng.random() < 0.5:
            fees.append(CatalogueFee("LP-KS", Decimal(1)))
        name = FORMULA_NAME if i == 7 else f"Người nộp số {i}"
        request = ReceiptRequest(
            series_id=series_of[actor.counter_id or 0],
            payer=Buyer(name=name),
            fees=tuple(fees),
            payment_method=METHODS[rng.randrange(3)],
        )
        issued.append((actor, request, issue_document(engine, request, actor=actor, now=clock, tools=tools)))
    for actor, request, original in issued[:3]:
        with engine.begin() as conn:
            conn.execute(documents.update().where(documents.c.id == original.id).values(state="replaced"))
        issue_document(engine, request, actor=actor, now=clock, tools=tools)
    return {"date": issued[0][2].issue_date, "cashiers": cashiers, "series": [world["receipts"], second], "now": clock}

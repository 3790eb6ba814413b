"""Replacing at the counter, in the service: one replacement per form however the submits race, and the shift
counting the replacement instead of its original."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from einvoice.domain.parties import Buyer
from einvoice.services import shifts
from einvoice.services.counter import CounterSale, issue_sale, replace_sale
from einvoice.services.issuing import CatalogueFee, Toolchain
from einvoice.storage.schema import documents

pytestmark = pytest.mark.slow


def _sale(world: dict[str, Any], key: str, quantity: str, name: str) -> CounterSale:
    return CounterSale(
        series_id=world["receipts"]["id"],
        fees=(CatalogueFee("LP-CT", Decimal(quantity)),),
        payer=Buyer(name=name),
        method="TM",
        form_key=key,
    )


def test_racing_submits_of_one_replacement_form_replace_once(
    engine: Engine, world: dict[str, Any], tools: Toolchain, clock: Any
) -> None:
    """Two submits of one confirmed form at once: both answer the same replacement; the shift counts it alone."""
    cashier = world["cashier"]
    original = issue_sale(engine, _sale(world, "k" * 20, "3", "Trần Thị Bich"), actor=cashier, now=clock, tools=tools)
    replacement = _sale(world, "r" * 20, "2", "Trần Thị Bích")
    start = threading.Barrier(2)
    answers: list[int] = []
    failures: list[BaseException] = []

    def submit() -> None:
        start.wait()
        try:
            answers.append(
                replace_sale(engine, original, "Ghi sai số bản", replacement, actor=cashier, now=clock, tools=tools)
            )
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert len(answers) == 2
    assert answers[0] == answers[1] != original
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(documents)).scalar_one() == 2
        state = conn.execute(select(documents.c.state).where(documents.c.id == original)).scalar_one()
    assert state == "replaced"
    shift = shifts.current_shift(engine, cashier.counter_id)
    assert shift is not None
    summary = shifts.summary(engine, shift["id"], cashier)
    assert (summary.count, summary.total, summary.cash_expected) == (1, Decimal(4000), Decimal(4000))
    assert [row["counted"] for row in summary.receipts] == [False, True]
    closed = shifts.close_shift(engine, shift["id"], cashier, Decimal(4000), clock())
    assert closed.shift["cash_expected"] == Decimal(4000)

"""Random correction sequences through the services: the stored documents never change, the states follow the pure
machine, and an invoice plus its adjustments always states the totals of all its lines together."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from einvoice.domain.documents import Invoice
from einvoice.domain.lifecycle import Action, DocumentClass, IllegalTransition, State, apply
from einvoice.domain.parties import Buyer
from einvoice.domain.rates import VatRate
from einvoice.domain.totals import compute_invoice_totals, goods_line
from einvoice.services import corrections, notices
from einvoice.services.issuing import Actor, InvoiceRequest, Toolchain, issue_document
from einvoice.storage.schema import documents
from einvoice.xmldoc.parse import parse_document

BUYER = Buyer(name="CÔNG TY CỔ PHẦN XYZ", tax_code="0309876543", address="12 Nguyễn Huệ")
RATES = (VatRate.parse("10%"), VatRate.parse("8%"))


def _line(quantity: Decimal, price: Decimal, rate: int) -> Any:
    return goods_line("Hàng hóa", quantity, price, RATES[rate], unit="Cái")


deltas = st.lists(
    st.tuples(
        st.decimals(min_value=-20, max_value=20, places=1).filter(lambda q: q != 0),
        st.decimals(min_value=1, max_value=99_999, places=1),
        st.integers(0, 1),
    ),
    min_size=1,
    max_size=3,
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just(Action.ADJUST), deltas),
        st.tuples(st.just(Action.REPLACE), deltas.map(lambda d: [(abs(q), p, r) for q, p, r in d])),
        st.tuples(st.just(Action.EXPLAIN), st.just([])),
    ),
    min_size=1,
    max_size=6,
)


def _digests(engine: Engine) -> dict[int, str]:
    with engine.connect() as conn:
        return {
            row.id: hashlib.sha256(bytes(row.xml)).hexdigest()
            for row in conn.execute(select(documents.c.id, documents.c.xml))
        }


def _parsed(engine: Engine, document_id: int) -> Invoice:
    with engine.connect() as conn:
        xml = conn.execute(select(documents.c.xml).where(documents.c.id == document_id)).scalar_one()
    document = parse_document(bytes(xml))
    assert isinstance(document, Invoice)
    return document


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps)
def test_random_corrections_keep_every_promise(
    engine: Engine, world: dict[str, Any], uncoded: dict[str, Any], tools: Toolchain, clock: Any, sequence: list[Any]
) -> None:
    """Each step is allowed exactly when the pure machine allows it; bytes never change; totals always add up."""
    finance = Actor(world["users"]["finance"]["id"], "ke.toan", "finance")
    first = issue_document(
        engine,
        InvoiceRequest(uncoded["id"], BUYER, (_line(Decimal(5), Decimal("12345.5"), 0),)),
        actor=world["cashier"],
        now=clock,
        tools=tools,
    )
    target, state, chain = first.id, State(), [first.id]
    for action, lines in sequence:
        before = _digests(engine)
        try:
            expected = apply(state, action, DocumentClass.UNCODED_INVOICE)
        except IllegalTransition:
            expected = None
        try:
            if action is Action.EXPLAIN:
                notices.notify_error(
                    engine, target, ("buyer_address",), "Sai địa chỉ", actor=finance, now=clock, tools=tools
                )
                made = None
            else:
                content = InvoiceRequest(uncoded["id"], BUYER, tuple(_line(*line) for line in lines))
                correction = corrections.Correction(target, action, "Sửa sai", content)
                made = corrections.correct(engine, correction, actor=finance, now=clock, tools=tools)
        except IllegalTransition:
            assert expected is None
            assert _digests(engine) == before
            continue
        assert expected is not None
        after = _digests(engine)
        assert {k: after[k] for k in before} == before
        if action is Action.REPLACE:
            assert made is not None
            target, state, chain = made.id, State(), [made.id]
        else:
            state = expected
            if made is not None:
                chain.append(made.id)
        stated = [_parsed(engine, i) for i in chain]
        all_lines = [line for doc in stated for line in doc.lines]
        corrected = compute_invoice_totals(all_lines, template="1", currency="VND")
        assert sum(doc.totals.total_payable for doc in stated) == corrected.total_payable
        assert sum(doc.totals.total_tax or 0 for doc in stated) == corrected.total_tax

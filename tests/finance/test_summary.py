"""Reconciliation: the summary of a day equals an independent computation over the stored XML."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select

from einvoice.domain.lifecycle import Standing
from einvoice.finance.rules import NOT_COUNTED, STATE_LABELS_VI
from einvoice.services.finance import Period, summarise
from einvoice.services.ledger import catch_up
from einvoice.storage.schema import documents, finance_facts
from einvoice.xmldoc.safe import parse_untrusted


def _expected(engine: Engine) -> dict[str, Any]:
    """Sum the stored XML by hand: every document not replaced, its fee lines and its payment method."""
    per_fee: dict[str, Decimal] = defaultdict(Decimal)
    per_method: dict[str, Decimal] = defaultdict(Decimal)
    per_state: Counter[str] = Counter()
    total = Decimal(0)
    with engine.connect() as conn:
        rows = conn.execute(select(documents.c.xml, documents.c.state)).all()
    for xml, state in rows:
        per_state[state] += 1
        if state == "replaced":
            continue
        root = parse_untrusted(bytes(xml))
        amount = Decimal(root.xpath("string(//*[local-name()='TgTTTBSo'])"))
        total += amount
        per_method[root.xpath("string(//*[local-name()='HTTToan'])")] += amount
        for fee in root.xpath("//*[local-name()='LPhi']"):
            per_fee[fee.xpath("string(*[local-name()='TLPhi'])")] += Decimal(
                fee.xpath("string(*[local-name()='TPhi'])")
            )
    return {"total": total, "fees": per_fee, "methods": per_method, "states": per_state}


def test_summary_equals_the_xml(engine: Engine, day: dict[str, Any]) -> None:
    """Totals per fee, payment method and state equal sums computed from the signed XML; replaced ones left out."""
    summary = summarise(engine, Period(day["date"], day["date"]))
    expected = _expected(engine)
    assert summary.amount == expected["total"]
    assert summary.count == sum(n for state, n in expected["states"].items() if state != "replaced")
    assert {f.label: f.amount for f in summary.tables["fees"]} == expected["fees"]
    assert {f.filters["payment_method"]: f.amount for f in summary.tables["payment_methods"]} == expected["methods"]
    assert {f.filters["state"]: f.count for f in summary.tables["states"]} == dict(expected["states"])
    assert [f.counted for f in summary.tables["states"] if f.filters["state"] == "replaced"] == [False]


def test_every_table_adds_up_to_the_total(engine: Engine, day: dict[str, Any]) -> None:
    """Per counter, cashier, payment method and series, the figures add up to the period's counted total."""
    summary = summarise(engine, Period(day["date"], day["date"]))
    for table in ("counters", "cashiers", "payment_methods", "series"):
        figures = summary.tables[table]
        assert sum((f.amount for f in figures), Decimal(0)) == summary.amount, table
        assert sum(f.count for f in figures) == summary.count, table
    assert len(summary.tables["cashiers"]) == 3
    assert {f.label for f in summary.tables["series"]} == {"EBL01/26TAA", "EBL02/26TAB"}
    assert all(f.detail for f in summary.tables["fees"])  # each fee names its legal basis


def test_narrowing_to_one_cashier(engine: Engine, day: dict[str, Any]) -> None:
    """A period narrowed to one cashier counts only that cashier's documents."""
    cashier = day["cashiers"][1]
    summary = summarise(engine, Period(day["date"], day["date"], cashier_id=cashier.user_id))
    assert [f.label for f in summary.tables["cashiers"]] == [cashier.full_name]
    assert summary.count == 12


def test_ledger_catch_up_is_idempotent(engine: Engine, day: dict[str, Any]) -> None:
    """Catching up twice adds each document's facts once; the second run finds nothing to do."""
    catch_up(engine)
    assert catch_up(engine) == 0
    with engine.connect() as conn:
        facts = conn.execute(select(finance_facts.c.document_id)).scalars().all()
        ids = conn.execute(select(documents.c.id)).scalars().all()
    assert sorted(facts) == sorted(ids)


def test_state_labels_are_exactly_the_lifecycle_states() -> None:
    """Every state a document can have has its words, and no label names a state a document cannot have."""
    assert set(STATE_LABELS_VI) == {state.value for state in Standing}
    assert set(NOT_COUNTED) <= set(STATE_LABELS_VI)

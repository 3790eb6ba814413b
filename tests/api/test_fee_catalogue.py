"""A fee's validity period: checked once when a fee is added or ended, read once as "in force on a day"."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine

from einvoice.services import catalogue


def _fee(world: dict[str, Any], **period: Any) -> dict[str, Any]:
    return {
        "issuer_id": world["issuer"]["id"],
        "code": "LP-BH",
        "name": "Lệ phí cấp bản sao",
        "legal_basis": "TT 1/2026",
        "amount": "3000",
        **period,
    }


def test_adding_or_ending_a_fee_before_it_starts_is_the_same_refusal(
    api: FlaskClient, world: dict[str, Any], auth: Any
) -> None:
    """Adding a fee that ends before it starts and ending a stored fee before its start answer the same problem."""
    added = api.post(
        "/api/v1/fees",
        json=_fee(world, effective_from="2026-03-01", effective_to="2026-02-28"),
        headers=auth("admin", "f1"),
    )
    stored = api.post("/api/v1/fees", json=_fee(world, effective_from="2026-03-01"), headers=auth("admin", "f2"))
    assert stored.status_code == 201, stored.get_json()
    ended = api.patch(
        f"/api/v1/fees/{stored.get_json()['id']}", json={"effective_to": "2026-02-28"}, headers=auth("admin")
    )
    assert (added.status_code, ended.status_code) == (422, 422)
    assert added.get_json()["problems"] == ended.get_json()["problems"]
    assert [(p["code"], p["path"]) for p in ended.get_json()["problems"]] == [("fee_period", "effective_to")]


def test_a_fee_is_in_force_from_its_first_to_its_last_day(engine: Engine, world: dict[str, Any]) -> None:
    """A fee is listed on its first and last day, and not on the day before or the day after."""
    fee = catalogue.create_fee(
        engine,
        {
            "issuer_id": world["issuer"]["id"],
            "code": "LP-BH",
            "name": "Lệ phí cấp bản sao",
            "legal_basis": "TT 1/2026",
            "amount": Decimal(3000),
            "effective_from": date(2026, 3, 1),
            "effective_to": date(2026, 3, 31),
        },
    )
    in_force = {
        day: fee["id"] in {row["id"] for row in catalogue.fees_in_force(engine, world["issuer"]["id"], day)}
        for day in (date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 31), date(2026, 4, 1))
    }
    assert list(in_force.values()) == [False, True, True, False]

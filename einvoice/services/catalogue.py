"""Configuration an admin manages: issuers, counters (quầy thu), series (ký hiệu) and the fee catalogue (danh mục phí).

Rows are plain mappings; each ``create_*`` returns the new row. Series are checked against the rules issuing applies
(:func:`einvoice.domain.series.series_faults`: template and symbol per kind), so a series that exists can issue; fees
against their validity period, which :func:`fee_in_force` is the one SQL reading of.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, Table, and_, or_, select
from sqlalchemy.exc import IntegrityError

from einvoice.domain.errors import Problem
from einvoice.domain.kinds import DocumentKind
from einvoice.domain.parties import is_budget_unit_code, is_tax_code
from einvoice.domain.series import series_faults, series_year
from einvoice.services.errors import ConflictError, NotFoundError, RequestProblemsError
from einvoice.storage.engine import writing
from einvoice.storage.schema import counters, fees, issuers, series

Row = dict[str, Any]


def _insert(engine: Engine, table: Table, values: Mapping[str, Any]) -> Row:
    try:
        with writing(engine) as conn:
            row = conn.execute(table.insert().values(**values).returning(*table.c)).mappings().one()
    except IntegrityError as error:
        raise ConflictError(f"{table.name}: conflicts with an existing row") from error
    return dict(row)


def get_row(engine: Engine, table: Table, row_id: int) -> Row:
    """Return one row of ``table`` by id, or raise :class:`NotFoundError`."""
    with engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.id == row_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"no {table.name} row {row_id}")
    return dict(row)


def list_rows(engine: Engine, table: Table, **equal: Any) -> list[Row]:
    """Return the rows of ``table`` whose columns equal the given values, by id."""
    query = select(table).where(*(table.c[name] == value for name, value in equal.items())).order_by(table.c.id)
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def update_row(engine: Engine, table: Table, row_id: int, values: Mapping[str, Any]) -> Row:
    """Change the given columns of one row; return the row as it now is."""
    if values:
        try:
            with writing(engine) as conn:
                found = conn.execute(table.update().where(table.c.id == row_id).values(**values)).rowcount
        except IntegrityError as error:
            raise ConflictError(f"{table.name}: conflicts with an existing row") from error
        if not found:
            raise NotFoundError(f"no {table.name} row {row_id}")
    return get_row(engine, table, row_id)


def _check_issuer(values: Mapping[str, Any]) -> None:
    problems = []
    if "tax_code" in values and not is_tax_code(values["tax_code"]):
        problems.append(Problem("INVALID_TAX_CODE", "tax_code", "Mã số thuế không hợp lệ", "not a valid tax code"))
    code = values.get("budget_unit_code")
    if code is not None and not is_budget_unit_code(code):
        problems.append(
            Problem("INVALID_UNIT_CODE", "budget_unit_code", "Mã ĐVQHNS phải có 7 chữ số", "budget unit code: 7 digits")
        )
    if problems:
        raise RequestProblemsError(problems)


def create_issuer(engine: Engine, values: Mapping[str, Any], *, now: datetime | None = None) -> Row:
    """Create an issuer (đơn vị phát hành) with its signer configuration."""
    _check_issuer(values)
    return _insert(engine, issuers, {**values, "created_at": now or datetime.now(UTC)})


def update_issuer(engine: Engine, issuer_id: int, values: Mapping[str, Any]) -> Row:
    """Change an issuer's details or signer configuration."""
    _check_issuer(values)
    return update_row(engine, issuers, issuer_id, values)


def create_counter(engine: Engine, issuer_id: int, name: str) -> Row:
    """Create a counter (issuing point) of an issuer."""
    get_row(engine, issuers, issuer_id)
    return _insert(engine, counters, {"issuer_id": issuer_id, "name": name, "active": True})


#: Where a series fault is reported in the admin's request.
_SERIES_FIELDS = {"template": "template", "series": "symbol"}


def create_series(
    engine: Engine,
    *,
    issuer_id: int,
    kind: DocumentKind | str,
    template: str,
    symbol: str,
    counter_id: int | None = None,
) -> Row:
    """Create a series of an issuer, numbered from 1, optionally bound to one counter; refuse what issuing would."""
    kind = DocumentKind(kind)
    get_row(engine, issuers, issuer_id)
    if counter_id is not None and get_row(engine, counters, counter_id)["issuer_id"] != issuer_id:
        raise RequestProblemsError(
            [
                Problem(
                    "COUNTER_OF_OTHER_ISSUER",
                    "counter_id",
                    "Quầy thuộc đơn vị khác",
                    "the counter belongs to another issuer",
                )
            ]
        )
    faults = series_faults(kind, template, symbol)
    if faults:
        raise RequestProblemsError(
            [Problem(f.code, _SERIES_FIELDS[f.field], f.message_vi, f.message_en) for f in faults]
        )
    year = series_year(symbol)
    assert year is not None  # a symbol without faults carries its year
    values = {
        "issuer_id": issuer_id,
        "kind": kind,
        "template": template,
        "symbol": symbol,
        "year": 2000 + year,
        "counter_id": counter_id,
        "next_number": 1,
        "active": True,
    }
    return _insert(engine, series, values)


def update_series(engine: Engine, series_id: int, *, active: bool | None = None, counter_id: int | None = None) -> Row:
    """Close or reopen a series, or bind it to another counter; its number is never set by hand."""
    values: dict[str, Any] = {}
    if active is not None:
        values["active"] = active
    if counter_id is not None:
        get_row(engine, counters, counter_id)
        values["counter_id"] = counter_id
    return update_row(engine, series, series_id, values)


def _check_period(start: date, end: date | None) -> None:
    if end is not None and end < start:
        raise RequestProblemsError(
            [
                Problem(
                    "fee_period",
                    "effective_to",
                    "Ngày hết hiệu lực trước ngày hiệu lực",
                    "the fee ends before it starts",
                )
            ]
        )


def create_fee(engine: Engine, values: Mapping[str, Any]) -> Row:
    """Add a fee to an issuer's catalogue, in force from ``effective_from`` (to ``effective_to`` if given)."""
    get_row(engine, issuers, values["issuer_id"])
    _check_period(values["effective_from"], values.get("effective_to"))
    if values["amount"] < 0:
        raise RequestProblemsError(
            [Problem("NEGATIVE_AMOUNT", "amount", "Mức thu không được âm", "amount is negative")]
        )
    return _insert(engine, fees, {"per_unit": False, **values})


def end_fee(engine: Engine, fee_id: int, effective_to: date | None) -> Row:
    """Set (or clear) the last day a fee is in force; its amount never changes in place."""
    _check_period(get_row(engine, fees, fee_id)["effective_from"], effective_to)
    return update_row(engine, fees, fee_id, {"effective_to": effective_to})


def fee_in_force(on: date) -> ColumnElement[bool]:
    """Return the SQL condition of a catalogue fee in force on ``on`` (both ends of its period included)."""
    return and_(fees.c.effective_from <= on, or_(fees.c.effective_to.is_(None), fees.c.effective_to >= on))


def fees_in_force(engine: Engine, issuer_id: int | None, on: date) -> list[Row]:
    """Return the catalogue fees in force on ``on`` (of one issuer, or of all), by code."""
    query = select(fees).where(fee_in_force(on))
    if issuer_id is not None:
        query = query.where(fees.c.issuer_id == issuer_id)
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query.order_by(fees.c.code)).mappings()]

"""``einvoice dev-generate``: many receipts directly in a development database, for the finance benchmarks.

Signing a million receipts one by one would take hours on a small machine, so the generator signs **templates**
and copies them. It sets up its own issuer (a development certificate from the development CA), three counters
with a receipt series each, four cashiers and the demo fee catalogue, then issues one receipt for every
(cashier, payment method, fee set) — 48 receipts — through the real issuing transaction: validated, signed with the
development certificate, numbered, audited. Every further document is a row copying one template's signed XML
byte for byte, with its own number in the template's series, its own lookup code, an issue date spread over the
period in order, and a state (1 in 100 ``replaced``, 1 in 200 ``adjusted``). Its finance ledger rows (payment
method, cashier, lines, day totals) are recorded by :func:`einvoice.services.ledger.record` from the template's
facts — exactly what a catch-up reading the copy's XML would record, because the bytes are the template's.

Why that is honest for the benchmarks: the exports, summaries and bank matching read the rows and the ledger,
never the XML; each row's total, payment method, cashier, counter, series and lines are what its XML says. What is
*not* true of a copy: the number, date and lookup code inside its XML are the template's, and it has no audit entry
and no outbox message (so ``audit-verify`` reports copies as unaudited, and nothing is sent to the authority). The
command is for development databases only and is refused in production.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Engine, func, select, text

from einvoice.commands.storage import URL_HELP, resolve_url
from einvoice.domain.kinds import DocumentKind
from einvoice.domain.lookup import ALPHABET
from einvoice.domain.parties import Buyer
from einvoice.domain.vntime import local_date
from einvoice.finance.facts import read_facts
from einvoice.services import catalogue
from einvoice.services.accounts import create_user
from einvoice.services.issuing import Actor, CatalogueFee, ReceiptRequest, issue_document
from einvoice.services.ledger import catch_up, record
from einvoice.services.seed import DEMO_FEES
from einvoice.services.toolchain import pkcs12_toolchain
from einvoice.settings import load_settings
from einvoice.signing.devca import dev_credentials, ensure_dev_credentials
from einvoice.storage.engine import make_engine, migrate, writing
from einvoice.storage.schema import documents, issuers, series

ISSUER = {
    "name": "TRUNG TÂM DỮ LIỆU THỬ NGHIỆM (dev-generate)",
    "tax_code": "0109999997",
    "address": "Xã An Khánh, Thành phố Hà Nội",
    "budget_unit_code": "1234567",
}
METHODS = ("TM", "CK", "TM/CK")
#: The fee sets of the templates (catalogue code, quantity): most receipts have one line, one set has two.
FEE_SETS = (
    (("LP-CTBS", 2),),
    (("LP-CTCK", 1),),
    (("LP-KS", 1),),
    (("LP-CTBS", 3), ("LP-CTCK", 1)),
)
CASHIERS = ("Nguyễn Thị Hoa", "Trần Văn Bình", "Lê Minh Châu", "Phạm Thu Dung")
BATCH = 5000


@dataclass(frozen=True, slots=True)
class Generated:
    """What was generated: the issuer, the series ids and how many documents in all."""

    issuer_id: int
    series_ids: tuple[int, ...]
    documents: int


def _lookup_code(n: int) -> str:
    """A lookup code of 12 Crockford characters, ``G`` then ``n`` in base 32: unique, never a random collision."""
    chars = []
    for _ in range(11):
        n, digit = divmod(n, 32)
        chars.append(ALPHABET[digit])
    return "G" + "".join(reversed(chars))


def _set_up(engine: Engine, data_dir: Path, year: int) -> tuple[int, list[Actor]]:
    with engine.connect() as conn:
        if conn.execute(select(issuers.c.id).where(issuers.c.tax_code == ISSUER["tax_code"])).first():
            raise click.ClickException("this database already holds generated documents: use a fresh database")
    p12 = ensure_dev_credentials(data_dir, ISSUER["tax_code"], ISSUER["name"])
    password_file = dev_credentials(data_dir, ISSUER["tax_code"]).password_file
    issuer = catalogue.create_issuer(
        engine, {**ISSUER, "signer_p12_path": str(p12), "signer_password_file": str(password_file)}
    )
    actors = []
    for i, name in enumerate(CASHIERS):
        if i < 3:
            counter = catalogue.create_counter(engine, issuer["id"], f"Quầy thử {i + 1}")
            catalogue.create_series(
                engine,
                issuer_id=issuer["id"],
                kind=DocumentKind.RECEIPT,
                template="EBL01",
                symbol=f"{year % 100:02d}TG{'ABC'[i]}",
                counter_id=counter["id"],
            )
        username = f"gen.thu.ngan.{i + 1}"
        user = create_user(engine, username=username, full_name=name, role="cashier", counter_id=counter["id"])
        actors.append(Actor(user["id"], username, "cashier", counter["id"], name, issuer["id"]))
    for code, name, amount, per_unit, unit, basis in DEMO_FEES:
        catalogue.create_fee(
            engine,
            {"issuer_id": issuer["id"], "code": code, "name": name, "amount": Decimal(amount), "per_unit": per_unit,
             "unit": unit, "legal_basis": basis, "effective_from": date(year, 1, 1)},
        )  # fmt: skip
    return issuer["id"], actors


def _templates(engine: Engine, actors: list[Actor], moment: datetime) -> list[dict[str, Any]]:
    """Issue one signed receipt per (cashier, payment method, fee set); return their rows."""
    tools = pkcs12_toolchain()
    with engine.connect() as conn:
        series_of = {
            row.counter_id: row.id for row in conn.execute(select(series.c.id, series.c.counter_id))
        }  # fmt: skip
    ids = []
    for n, (actor, method, fees) in enumerate(itertools.product(actors, METHODS, FEE_SETS)):
        request = ReceiptRequest(
            series_id=series_of[actor.counter_id],
            payer=Buyer(name=f"Người nộp thử {n + 1}"),
            fees=tuple(CatalogueFee(code, Decimal(quantity)) for code, quantity in fees),
            payment_method=method,
        )
        ids.append(issue_document(engine, request, actor=actor, now=lambda: moment, tools=tools).id)
    catch_up(engine)
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(select(documents).where(documents.c.id.in_(ids))).mappings()]


def _copies(templates: list[dict[str, Any]], count: int, first_id: int, numbers: dict[int, int], start: date,
            days: int) -> Iterator[tuple[dict[str, Any], int]]:  # fmt: skip
    """Yield each copy's row and the id of its template, in issue-date order, numbered on in each series."""
    for i in range(count):
        template = templates[(i * 7 + i // len(templates)) % len(templates)]
        number = numbers[template["series_id"]]
        numbers[template["series_id"]] = number + 1
        state = "replaced" if i % 100 == 50 else "adjusted" if i % 200 == 120 else "issued"
        day = start + timedelta(days=i * days // count)
        row = {**template, "id": first_id + i, "number": number, "lookup_code": _lookup_code(first_id + i),
               "issue_date": day, "state": state, "created_at": datetime.combine(day, time(2, 0), UTC)}  # fmt: skip
        yield row, template["id"]


def generate(engine: Engine, data_dir: Path, count: int, *, start: date, days: int, now: datetime) -> Generated:
    """Generate 48 signed templates issued ``now`` and ``count`` copies issued from ``start`` over ``days`` days.

    The templates are signed at ``now`` (the development certificate is valid from when it was made), so their issue
    date is today's; the copies' period must be in the same year (a series is for one year) and may be earlier.
    """
    if not start.year == (start + timedelta(days=days - 1)).year == local_date(now).year:
        raise ValueError("the period must be in the current year: a series is for one year")
    issuer_id, actors = _set_up(engine, data_dir, start.year)
    templates = _templates(engine, actors, now)
    facts = {template["id"]: read_facts(bytes(template["xml"])) for template in templates}
    with engine.connect() as conn:
        first_id = int(conn.execute(select(func.max(documents.c.id))).scalar_one()) + 1
        rows = conn.execute(select(series.c.id, series.c.next_number).where(series.c.issuer_id == issuer_id)).all()
    numbers = {sid: next_number for sid, next_number in rows}
    copies = _copies(templates, count, first_id, numbers, start, days)
    while batch := list(itertools.islice(copies, BATCH)):
        with writing(engine, durable=False) as conn:
            conn.execute(documents.insert(), [row for row, _ in batch])
            record(conn, [(row, facts[template_id]) for row, template_id in batch])
    with writing(engine) as conn:
        for sid, next_number in numbers.items():
            conn.execute(series.update().where(series.c.id == sid).values(next_number=next_number))
        if conn.dialect.name == "postgresql":  # ids were given, not drawn: move the sequence past them
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('documents', 'id'), (SELECT max(id) FROM documents))")
            )
    return Generated(issuer_id, tuple(numbers), len(templates) + count)


@click.command("dev-generate")
@click.option("--database-url", help=URL_HELP)
@click.option("--documents", "count", type=click.IntRange(min=0), default=10_000, show_default=True, help="copies")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="issue date of the first copies, this year  [default: January 1]")  # fmt: skip
@click.option("--days", type=click.IntRange(1, 366), default=31, show_default=True, help="days the documents span")
def dev_generate_command(database_url: str | None, count: int, start: datetime | None, days: int) -> None:
    """Development only: generate receipts directly in the database, signed templates copied (see the module)."""
    settings = load_settings()
    if settings.env == "production":
        raise click.ClickException("dev-generate is refused in production: it writes documents nobody issued")
    now = datetime.now(UTC)
    first = start.date() if start else date(local_date(now).year, 1, 1)
    if not first.year == (first + timedelta(days=days - 1)).year == local_date(now).year:
        raise click.BadParameter("the period must be inside the current year (a series is for one year)")
    url = resolve_url(database_url)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    try:
        migrate(engine)
        made = generate(engine, settings.data_dir, count, start=first, days=days, now=now)
    finally:
        engine.dispose()
    click.echo(
        f"generated {made.documents} receipts of issuer {made.issuer_id}: 48 signed templates and {count} copies"
    )


COMMANDS: list[click.Command] = [dev_generate_command]

"""Error notices for soft errors (04/SS, Circular 91 Art 10.1.a and 20): stored with the document's move to
``explained`` in one transaction. The notice is stored unsigned; signing and sending it (message 300) is the
transmission work's. Only finance and admin staff notify errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, select

from einvoice.domain.corrections import SOFT_ERRORS
from einvoice.domain.lifecycle import Action
from einvoice.domain.vntime import local_date
from einvoice.services.corrections import reason_text
from einvoice.services.errors import ForbiddenError, problem
from einvoice.services.issuing import Actor, Now
from einvoice.services.transitions import load, move
from einvoice.storage.engine import writing
from einvoice.storage.schema import error_notices, issuers
from einvoice.xmldoc.notices import NoticedDocument, build_error_notice


def notify_error(
    engine: Engine, document_id: int, errors: Sequence[str], reason: str, *, actor: Actor, now: Now
) -> dict[str, Any]:
    """Record an error notice about document ``document_id`` and mark it explained; return the notice's row."""
    if actor.role not in ("finance", "admin"):
        raise ForbiddenError("only finance and admin staff notify errors")
    unknown = [error for error in errors if error not in SOFT_ERRORS]
    if unknown or not errors:
        raise problem(
            "soft_error",
            "errors",
            "Thông báo sai sót chỉ dùng cho sai tên, địa chỉ, số tiền bằng chữ; sai khác phải điều chỉnh, thay thế.",
            "an error notice is for names, addresses, amount in words: other errors need adjustment or replacement",
        )
    explanation = reason_text(reason)
    written = "; ".join([*(SOFT_ERRORS[error] for error in errors), explanation])[:255]
    moment = now()
    with writing(engine) as conn:
        row = load(conn, document_id, for_update=True)
        issuer = conn.execute(select(issuers.c.name, issuers.c.tax_code).where(issuers.c.id == row["issuer_id"])).one()
        noticed = NoticedDocument(
            row["kind"], row["template"], row["series"], row["number"], row["issue_date"], written
        )
        form, xml = build_error_notice(
            noticed, issuer_name=issuer.name, issuer_tax_code=issuer.tax_code, notice_date=local_date(moment)
        )
        values = {
            "issuer_id": row["issuer_id"],
            "document_id": document_id,
            "form": form,
            "reason": written,
            "xml": xml,
            "created_by": actor.user_id,
            "created_at": moment,
        }
        notice_id = conn.execute(error_notices.insert().values(values).returning(error_notices.c.id)).scalar_one()
        move(conn, document_id, Action.EXPLAIN, actor, moment, notice_id=notice_id, reason=written)
    values.pop("xml")
    return {"id": notice_id, **values}

"""What the public pages show of a document, a signature and a verdict: plain Vietnamese, amounts as 12.000 ₫.

Everything here turns values into the mappings the ``templates/public`` pages read; nothing reads a request. The
payer's name is partly masked (the lookup code is the secret that opens a page, and a page should not serve as a
directory of who paid what); an organisation identified by its tax code keeps its name, as on the printout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from einvoice.domain.documents import Document, Invoice, LineNature, Receipt
from einvoice.domain.kinds import DocumentKind
from einvoice.domain.lifecycle import STANDING_WORDS, DocumentClass, Transmission, document_class
from einvoice.domain.money import VND
from einvoice.domain.parties import Buyer
from einvoice.render.context import format_date, format_datetime, format_number
from einvoice.services.queries import StoredDocument
from einvoice.signing.certificates import common_name
from einvoice.xmldoc.dsig import AUTHORITY_ROLE, VIETNAM_TIME
from einvoice.xmldoc.envelope import Reason
from einvoice.xmldoc.verdicts import SignatureReport, Verdict, VerificationReport

STATES: dict[str, str] = {str(standing): words for standing, words in STANDING_WORDS.items()}
ROLES = {"NBan": "người bán", "DVThu": "đơn vị thu", "NMua": "người mua", "CQT": "cơ quan thuế"}
#: What each outcome tells the reader to do, besides the reasons.
ADVICE = {
    "valid": "Chữ ký số đúng, người ký đã được xác thực và nội dung đúng quy định.",
    "unconfirmed": (
        "Nội dung không bị sửa sau khi ký, nhưng chưa xác nhận được người ký là đơn vị phát hành ghi trên chứng từ. "
        "Đừng coi chứng từ là hợp lệ chỉ vì điều này: hãy hỏi lại đơn vị phát hành, hoặc tra cứu hóa đơn trên cổng "
        "hóa đơn điện tử của cơ quan thuế."
    ),
    "invalid": "Không nên dùng chứng từ này. Hãy liên hệ đơn vị phát hành để được cấp lại bản đúng.",
}


def money(value: Decimal | None, currency: str = VND) -> str:
    """Write an amount as on paper: ``12.000 ₫``, or ``1.234,5 USD`` in another currency."""
    if value is None:
        return ""
    return f"{format_number(value)} {'₫' if currency == VND else currency}"


def mask_name(name: str | None) -> str:
    """Keep a person's first word and the initials of the others: ``Trần Thị Bích`` → ``Trần T*** B***``."""
    words = (name or "").split()
    if not words:
        return ""
    return " ".join([words[0], *(f"{word[0]}***" for word in words[1:])])


def _party(buyer: Buyer) -> str:
    if buyer.tax_code:  # an organisation, named in full as on the printout
        return buyer.name or ""
    return mask_name(buyer.name)


def _invoice_rows(document: Invoice) -> tuple[list[dict[str, str]], list[tuple[str, str]]]:
    lines = [
        {"name": line.name, "quantity": format_number(line.quantity), "amount": money(line.amount, document.currency)}
        for line in document.lines
        if line.nature is not LineNature.NOTE
    ]
    totals = document.totals
    subtotals = [("Cộng tiền hàng, dịch vụ", money(totals.total_before_tax, document.currency))]
    if totals.trade_discount_total:
        subtotals.append(("Chiết khấu thương mại", money(totals.trade_discount_total, document.currency)))
    if totals.total_tax is not None:
        subtotals.append(("Tiền thuế GTGT", money(totals.total_tax, document.currency)))
    return lines, subtotals


def _receipt_rows(document: Receipt) -> tuple[list[dict[str, str]], list[tuple[str, str]]]:
    lines = [
        {"name": fee.name, "quantity": format_number(fee.quantity), "amount": money(fee.amount, document.currency)}
        for fee in document.fees
    ]
    return lines, []


#: What the public page lists of each kind (the lookup-page column of the table of kinds): its rows, the party's label.
_VIEWS: dict[DocumentKind, tuple[Callable[[Any], tuple[list[dict[str, str]], list[tuple[str, str]]]], str]] = {
    DocumentKind.INVOICE: (_invoice_rows, "Người mua"),
    DocumentKind.RECEIPT: (_receipt_rows, "Người nộp tiền"),
}


def summary(document: Document, state: str | None = None) -> dict[str, Any]:
    """Return the document as the pages show it: title, issuer, identity, date, payer, lines and total, state."""
    rows, party_label = _VIEWS[document.kind]
    lines, subtotals = rows(document)
    issuer, party, total = document.issuer, document.party, document.total_payable
    return {
        "title": document.title,
        "issuer": issuer.name,
        "tax_code": issuer.tax_code,
        "template": document.template,
        "series": document.series,
        "number": "" if document.number is None else str(document.number),
        "date": format_date(document.issue_date),
        "party_label": party_label,
        "party": _party(party),
        "lines": lines,
        "subtotals": subtotals,
        "total": money(total, document.currency),
        "state": STATES.get(state, state) if state else "",
    }


#: The three outcomes of the lookup page's check of a stored document, as the headline's colour and words.
INTEGRITY: dict[str, tuple[str, str, str]] = {
    "intact": ("valid", "Chứng từ còn nguyên vẹn", "Đúng như khi được ký số; chưa bị sửa."),
    "unconfirmed": (
        "unconfirmed",
        "Chưa xác thực được chữ ký của cơ quan thuế",
        "Nội dung và các chữ ký số không bị sửa, nhưng chưa xác nhận được chứng thư số của cơ quan thuế qua chuỗi "
        "chứng thư tin cậy. Vui lòng báo cho đơn vị phát hành.",
    ),
    "altered": (
        "invalid",
        "Cảnh báo: chứng từ đã bị thay đổi",
        "Bản lưu trữ không còn khớp với chữ ký số. Vui lòng báo cho đơn vị phát hành.",
    ),
}


def integrity(report: VerificationReport, *, hashes_match: bool, coded: bool) -> dict[str, str]:
    """Judge a stored document of record: intact, or (coded invoices) the authority's signer unconfirmed, or altered.

    A coded invoice is intact only when both signatures verify and the authority's certificate chains to a trusted
    root at its signing time (never judged by the certificate's subject, which the authority renews).
    """
    outcome = "intact"
    if not (hashes_match and report.valid):
        outcome = "altered"
    elif coded:
        authority = report.signature(AUTHORITY_ROLE)
        if authority is None:
            outcome = "altered"
        elif not authority.accepted:
            outcome = "unconfirmed"
    colour, headline, detail = INTEGRITY[outcome]
    return {"outcome": outcome, "colour": colour, "headline": headline, "detail": detail}


def authority_status(
    stored: StoredDocument, *, authority_code: str | None, reasons: Sequence[Reason], day: str
) -> dict[str, Any]:
    """Say in plain Vietnamese where the document stands with the tax authority, with its reasons if refused.

    A "C" invoice waits for its code, then has it; a "K" invoice is sent in a batch; a receipt goes in the day's
    table 01/TH-BLĐT. ``tone`` is ``waiting``, ``done`` or ``refused``.
    """
    cls = document_class(stored.kind.value, stored.series)
    transmission = Transmission(stored.transmission)
    if transmission is Transmission.REJECTED:
        text = _REFUSED[cls].format(day=day)
        return {"tone": "refused", "text": text, "reasons": [_reason_view(r) for r in reasons]}
    if cls is DocumentClass.CODED_INVOICE:
        if authority_code:
            return {"tone": "done", "text": f"Đã được cơ quan thuế cấp mã {authority_code}", "reasons": []}
        return {"tone": "waiting", "text": "Chờ cơ quan thuế cấp mã", "reasons": []}
    if transmission is Transmission.ACCEPTED:
        text = _ACCEPTED[cls].format(day=day)
        return {"tone": "done", "text": text, "reasons": []}
    packed = stored.message_state is not None  # in a message still being sent, not yet delivered
    words = _SENT if transmission is Transmission.SENT else _PACKED if packed else _PENDING
    return {"tone": "waiting", "text": words[cls].format(day=day), "reasons": []}


_PENDING = {
    DocumentClass.RECEIPT: "Chưa gửi cơ quan thuế: biên lai sẽ được gửi trong bảng tổng hợp biên lai ngày {day}",
    DocumentClass.UNCODED_INVOICE: "Chưa gửi cơ quan thuế: hóa đơn sẽ được gửi chậm nhất vào ngày làm việc tiếp theo",
}
_PACKED = {
    DocumentClass.RECEIPT: "Đã đưa vào bảng tổng hợp biên lai ngày {day}, đang gửi cơ quan thuế",
    DocumentClass.UNCODED_INVOICE: "Đang gửi cơ quan thuế",
}
_SENT = {
    DocumentClass.RECEIPT: "Đã gửi cơ quan thuế trong bảng tổng hợp biên lai ngày {day}",
    DocumentClass.UNCODED_INVOICE: "Đã gửi cơ quan thuế, đang chờ kết quả kiểm tra",
}
_ACCEPTED = {
    DocumentClass.RECEIPT: "Cơ quan thuế đã tiếp nhận bảng tổng hợp biên lai ngày {day} có biên lai này",
    DocumentClass.UNCODED_INVOICE: "Cơ quan thuế đã tiếp nhận hóa đơn",
}
_REFUSED = {
    DocumentClass.CODED_INVOICE: "Cơ quan thuế từ chối cấp mã cho hóa đơn này",
    DocumentClass.UNCODED_INVOICE: "Cơ quan thuế không chấp nhận dữ liệu hóa đơn này",
    DocumentClass.RECEIPT: "Cơ quan thuế không chấp nhận bảng tổng hợp biên lai ngày {day} có biên lai này",
}


def _reason_view(reason: Reason) -> dict[str, str]:
    return {"code": reason.code, "text": reason.text, "fix": reason.fix or ""}


def signature_view(report: SignatureReport) -> dict[str, Any]:
    """Return what the pages say about one signature: who signed, when, and the technical detail folded away."""
    return {
        "role": ROLES.get(report.role, report.role),
        "valid": report.valid,
        "signer": common_name(report.certificate) if report.certificate is not None else None,
        "tax_code": report.tax_code,
        "signing_time": format_datetime(report.signing_time.astimezone(VIETNAM_TIME) if report.signing_time else None),
        "authority_code": report.signed_code,
        "details": [p.message_vi for p in (*report.problems, *report.certificate_problems, *report.warnings)],
    }


def verdict_view(verdict: Verdict) -> dict[str, Any]:
    """Return the headline, its colour, the reasons in plain words, and what to do."""
    return {
        "outcome": verdict.outcome,
        "headline": verdict.headline_vi,
        "reasons": [_sentence(p.message_vi) for p in verdict.reasons],
        "advice": ADVICE[verdict.outcome],
        "matches_issued": verdict.matches_issued,
    }


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")

"""Error notices (thông báo sai sót), built once, never parsed: 04/SS-HĐĐT for invoices and our 04/SS-CTĐT for
receipts (``vn-einvoice-2026.md`` §2.4–2.5, choices 15 and 19).

The invoice notice follows the ``TBao`` structure of the 1450 table as providers emit it (message 300): ``DLTBao``
with the form code, the taxpayer, and ``DSHDon/HDon`` rows (``MCQTCap`` empty for uncoded invoices, ``TCTBao`` 4 =
giải trình). No XML is published for the receipt notice 04/SS-CTĐT: ours has the same shape, its own version
(:data:`RECEIPT_NOTICE_VERSION`, XSD :data:`RECEIPT_NOTICE_SCHEMA`) and the form's columns (template, series,
number, date, kind, notice/explanation, reason), named like the voucher family (``KHMCTu``/``KHCTu``/``SCTu``).
``TCTBao`` 1 (hủy) is emitted only for an invoice of a legacy period when the setting allows it (the caller's
check: :func:`einvoice.domain.lifecycle.legacy_cancel_allowed`); receipts never have it. The managing tax office's
code and name (``MCQT``/``TCQT``) and the place (``DDanh``, the province) come from the issuer's record and are
written, in the table's order, when the issuer has them (an issuer that has not filled them yet still notifies).
``DSCKS/NNT`` is the empty slot the signer fills: the notice is built as a
:class:`~einvoice.xmldoc.build.BuiltDocument` and signed like any other message (layout
:data:`einvoice.xmldoc.dsig.ERROR_NOTICE`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lxml import etree

from einvoice.domain.kinds import DocumentKind
from einvoice.xmldoc import dsig, formats
from einvoice.xmldoc.build import BuiltDocument

INVOICE_NOTICE_FORM = "04/SS-HĐĐT"
RECEIPT_NOTICE_FORM = "04/SS-CTĐT"
RECEIPT_NOTICE_VERSION = "1.0.0"
#: The XSD of our receipt notice, in ``schemas/``.
RECEIPT_NOTICE_SCHEMA = f"tbao-ctdt-{RECEIPT_NOTICE_VERSION}.xsd"
EXPLAIN = "4"  # TCTBao: giải trình (a soft error is notified and explained)
CANCEL = "1"  # TCTBao: hủy, legacy periods only
DATA_ID = "DLTBao"
_TITLES = {
    INVOICE_NOTICE_FORM: "Thông báo hóa đơn điện tử đã lập sai",
    RECEIPT_NOTICE_FORM: "Thông báo chứng từ điện tử đã lập sai",
}


@dataclass(frozen=True, slots=True)
class NoticedDocument:
    """The document an error notice is about, and the reason written on it."""

    kind: str  # invoice | receipt
    template: str
    series: str
    number: int
    issue_date: date
    reason: str
    authority_code: str | None = None  # MCCQT, for coded invoices


def _add(parent: etree._Element, tag: str, text: str | None) -> None:
    if text is not None:
        etree.SubElement(parent, tag).text = text


@dataclass(frozen=True, slots=True)
class TaxOffice:
    """The issuer's managing tax office (``MCQT`` code, ``TCQT`` name) and its place (``DDanh``), each if known."""

    code: str | None = None
    name: str | None = None
    place: str | None = None


def build_error_notice(
    document: NoticedDocument,
    *,
    issuer_name: str,
    issuer_tax_code: str,
    notice_date: date,
    action: str = EXPLAIN,
    office: TaxOffice | None = None,
) -> tuple[str, BuiltDocument]:
    """Return the form code and the unsigned error notice about ``document`` (``action``: TCTBao, 4 or 1)."""
    invoice = DocumentKind(document.kind) is DocumentKind.INVOICE
    if action not in (EXPLAIN, CANCEL) or (action == CANCEL and not invoice):
        raise ValueError(f"an error notice about a {document.kind} does not say TCTBao {action}")
    form = INVOICE_NOTICE_FORM if invoice else RECEIPT_NOTICE_FORM
    root = etree.Element(dsig.ERROR_NOTICE.root)
    data = etree.SubElement(root, dsig.ERROR_NOTICE.data, Id=DATA_ID)
    _add(data, "PBan", formats.INVOICE_VERSION if invoice else RECEIPT_NOTICE_VERSION)
    _add(data, "MSo", form)
    _add(data, "Ten", _TITLES[form])
    _add(data, "Loai", "1")  # the seller's own notice (2 answers an authority notice 01/TB-RSĐT)
    office = office or TaxOffice()
    _add(data, "MCQT", office.code or None)
    _add(data, "TCQT", office.name or None)
    _add(data, "TNNT", issuer_name)
    _add(data, "MST", issuer_tax_code)
    _add(data, "DDanh", office.place or None)
    _add(data, "NTBao", notice_date.isoformat())
    rows = etree.SubElement(data, "DSHDon" if invoice else "DSCTu")
    row = etree.SubElement(rows, "HDon" if invoice else "CTu")
    tags = (
        ("KHMSHDon", "KHHDon", "SHDon", "Ngay", "LADHDDT") if invoice else ("KHMCTu", "KHCTu", "SCTu", "Ngay", "LCTu")
    )
    _add(row, "STT", "1")
    if invoice:
        _add(row, "MCQTCap", document.authority_code or "")
    for tag, value in zip(
        tags,
        (document.template, document.series, str(document.number), document.issue_date.isoformat(), "1"),
        strict=True,
    ):
        _add(row, tag, value)
    _add(row, "TCTBao", action)
    _add(row, "LDo", document.reason)
    etree.SubElement(etree.SubElement(root, "DSCKS"), dsig.ERROR_NOTICE.issuer)
    xml = formats.XML_DECLARATION + etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    return form, BuiltDocument(xml=xml, root_tag=dsig.ERROR_NOTICE.root, data_id=DATA_ID, data=data)

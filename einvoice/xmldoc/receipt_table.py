"""The receipts' daily table 01/TH-BLĐT (Circular 91 PL III) as our own versioned XML (choice 20), built, never parsed.

No XML of the form is published (2026 spec §7.2, §8 question 5). Until it is, we send this format, versioned
(:data:`VERSION`, ``schemas/bthdlblai-1.0.0.xsd``), with the form's header and its 13 columns, names in the authority's
style (the receipt family's ``KHMCTu``/``KHCTu``/``SCTu``, 2026 spec §1.4)::

    BTHDLBLai
      DLBTHop Id="BTH-<issuer>-<date>-<n>"
        TTChung   PBan, MSo "01/TH-BLĐT", Ten, KDLieu (the day, our choice: one table per issuer per day),
                  LDau 1 (first) | BSLThu n (supplement n), TNNT, MST, DVTTe
        NDBTHop/DSDLieu/DLieu*   STT (1), KHMCTu (2), KHCTu (3), SCTu (4), NLap (5), TLPhi (6), STien (7),
                  TGia (8), TThai (9: 0 new, 1 replaces another), KDChinh (10), TTCTLQuan (11: template/series/number
                  replaced), GTrinh (12), GChu (13)
      DSCKS/NNT   the collecting organisation's signature (choice 5 layout, slot NNT)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lxml import etree

from einvoice.xmldoc.build import BuiltDocument
from einvoice.xmldoc.formats import XML_DECLARATION

VERSION = "1.0.0"
ROOT, DATA, SLOT = "BTHDLBLai", "DLBTHop", "NNT"
FORM = "01/TH-BLĐT"
TITLE = "Bảng tổng hợp dữ liệu biên lai điện tử"
NEW, REPLACEMENT = "0", "1"


@dataclass(frozen=True)
class TableRow:
    """One receipt of the day, as the form's columns (2)–(13) want it."""

    template: str
    series: str
    number: int
    issue_date: date
    fee_names: str
    amount: Decimal
    exchange_rate: Decimal | None = None
    replaces: str | None = None  # "EBL01/26TAA/12": the receipt this one replaces (column 11)
    note: str | None = None


@dataclass(frozen=True)
class TableHeader:
    """The form's header: period (a day), first table or the n-th supplement, the organisation, the currency."""

    day: date
    supplement: int  # 0 = "Lần đầu", n = "Sửa đổi, bổ sung lần thứ n"
    issuer_name: str
    tax_code: str
    issuer_id: int
    currency: str = "VND"


def build_receipt_table(header: TableHeader, rows: Sequence[TableRow]) -> BuiltDocument:
    """Return the unsigned table (its ``DSCKS`` holds an empty ``NNT`` slot), ready for ``sign_built``."""
    data_id = f"BTH-{header.issuer_id}-{header.day:%Y%m%d}-{header.supplement}"
    data = etree.Element(DATA, Id=data_id)
    common = etree.SubElement(data, "TTChung")
    _add(common, "PBan", VERSION)
    _add(common, "MSo", FORM)
    _add(common, "Ten", TITLE)
    _add(common, "KDLieu", header.day.isoformat())
    if header.supplement:
        _add(common, "BSLThu", str(header.supplement))
    else:
        _add(common, "LDau", "1")
    _add(common, "TNNT", header.issuer_name)
    _add(common, "MST", header.tax_code)
    _add(common, "DVTTe", header.currency)
    listing = etree.SubElement(etree.SubElement(data, "NDBTHop"), "DSDLieu")
    for index, row in enumerate(rows, start=1):
        item = etree.SubElement(listing, "DLieu")
        _add(item, "STT", str(index))
        _add(item, "KHMCTu", row.template)
        _add(item, "KHCTu", row.series)
        _add(item, "SCTu", str(row.number))
        _add(item, "NLap", row.issue_date.isoformat())
        _add(item, "TLPhi", row.fee_names)
        _add(item, "STien", format(row.amount, "f"))
        if row.exchange_rate is not None:
            _add(item, "TGia", format(row.exchange_rate, "f"))
        _add(item, "TThai", REPLACEMENT if row.replaces else NEW)
        if row.replaces:
            _add(item, "TTCTLQuan", row.replaces)
        if row.note:
            _add(item, "GChu", row.note)
    data_bytes = etree.tostring(data, encoding="utf-8")
    xml = XML_DECLARATION + b"<" + ROOT.encode() + b">" + data_bytes + b"<DSCKS><NNT/></DSCKS></" + ROOT.encode() + b">"
    return BuiltDocument(xml=xml, root_tag=ROOT, data_id=data_id, data=data)


def _add(parent: etree._Element, tag: str, text: str) -> None:
    etree.SubElement(parent, tag).text = text

"""Compare an uploaded document with the one we issued under the same identity: the strongest check we can offer.

:func:`identity_of` reads, from an upload, what names a document: the issuer's tax code, template, series and number,
and the lookup code when it carries one. :func:`compare_documents` then says whether the upload is the document we
stored, and if not which parts differ, named as a citizen would name them (payer, amounts, lines…). It never returns
the stored values: whoever uploads a document learns which parts differ from ours, not what ours say.

Pure: no database, no Flask. The caller finds the stored bytes (``einvoice.services.provenance``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from lxml import etree

from einvoice.domain.errors import UnsafeInputError
from einvoice.xmldoc import dsig, formats
from einvoice.xmldoc.safe import parse_untrusted

#: Where each kind of document keeps its identity, relative to its data element (DLHDon / DLBLai).
_IDENTITY = {
    formats.INVOICE_ROOT: ("NDHDon/NBan/MST", "TTChung/KHMSHDon", "TTChung/KHHDon", "TTChung/SHDon"),
    formats.RECEIPT_ROOT: ("NDBLai/DVThu/MST", "TTChung/KHMSBLai", "TTChung/KHBLai", "TTChung/SBLai"),
}
#: Signature slots and codes added by others after we issued (buyer, tax authority): judged by their own signatures.
_ADDED_LATER = ("DSCKS/NMua", "DSCKS/CQT", dsig.AUTHORITY_CODE)

#: The parts of a document a difference is reported in, first match wins: (path prefix, Vietnamese name).
PARTS: tuple[tuple[str, str], ...] = (
    ("NDHDon/NMua", "người mua"),
    ("NDBLai/NNop", "người nộp tiền"),
    ("NDHDon/DSHHDVu", "các dòng hàng hóa, dịch vụ"),
    ("NDBLai/DSPhi", "các khoản phí, lệ phí"),
    ("NDHDon/TToan", "số tiền"),
    ("NDBLai/TToan", "số tiền"),
    ("NDHDon/NBan", "đơn vị bán"),
    ("NDBLai/DVThu", "đơn vị thu"),
    ("TTChung/NLap", "ngày lập"),
    ("TTChung/HTTToan", "hình thức thanh toán"),
    ("TTChung", "thông tin chung"),
)


@dataclass(frozen=True)
class Identity:
    """What names a document: issuer tax code, template (mẫu số), series (ký hiệu), number, and lookup code."""

    kind: str  # invoice | receipt
    tax_code: str
    template: str
    series: str
    number: int | None
    lookup_code: str | None
    authority_code: str | None = None  # the MCCQT of a coded invoice, when the upload carries one


@dataclass(frozen=True)
class Comparison:
    """How an upload compares with the stored document: identical, or the parts that differ."""

    identical: bool
    differences: tuple[str, ...] = ()


def document_element(top: etree._Element) -> etree._Element | None:
    """Return the HDon/BLai of a parsed upload (itself, or the one a TDiep carries), or None."""
    if top.tag in dsig.LAYOUTS:
        return top
    carried = [element for element in top.iterfind("DLieu/*") if element.tag in dsig.LAYOUTS]
    return carried[0] if top.tag == "TDiep" and len(carried) == 1 else None


def _parse(xml: bytes) -> etree._Element | None:
    """Return the document element of ``xml`` as a root of its own (paths then start at HDon/BLai), or None."""
    try:
        document = document_element(parse_untrusted(xml))
    except UnsafeInputError:
        return None
    return copy.deepcopy(document) if document is not None else None


def identity_of(xml: bytes) -> Identity | None:
    """Return the identity the upload claims, or None when it names no issuer, template and series."""
    document = _parse(xml)
    if document is None:
        return None
    layout = dsig.LAYOUTS[str(document.tag)]
    data = document.find(layout.data)
    if data is None:
        return None
    tax_code, template, series, number = ((data.findtext(path) or "").strip() for path in _IDENTITY[document.tag])
    if not (tax_code and template and series):
        return None
    lookup = [
        (info.findtext("DLieu") or "").strip()
        for info in data.iterfind("TTChung/TTKhac/TTin")
        if (info.findtext("TTruong") or "").strip() == formats.LOOKUP_FIELD
    ]
    return Identity(
        kind=layout.kind,
        tax_code=tax_code,
        template=template,
        series=series,
        number=int(number) if number.isdigit() else None,
        lookup_code=lookup[0] if lookup else None,
        authority_code=document.findtext(dsig.AUTHORITY_CODE),
    )


def compare_documents(uploaded: bytes, stored: bytes, *, coded: bool = False) -> Comparison:
    """Compare the upload with the stored document: identical bytes (or document element), else the parts that differ.

    Signatures the buyer or the tax authority added after issue, and the authority's code, are left out of the
    comparison; everything else counts, the unsigned parts too (a changed payment QR code is a difference). An upload
    that carries the authority's code (``coded``) is compared with the coded record, the authority's code and
    signature included: only the buyer's signature is left out.
    """
    if uploaded == stored:
        return Comparison(identical=True)
    mine, theirs = _parse(stored), _parse(uploaded)
    if mine is None or theirs is None or mine.tag != theirs.tag:
        return Comparison(identical=False, differences=("toàn bộ tệp",))
    for document in (mine, theirs):
        for path in _ADDED_LATER[:1] if coded else _ADDED_LATER:
            for element in document.findall(path):
                element.getparent().remove(element)  # type: ignore[union-attr]
    if _c14n(mine) == _c14n(theirs):
        return Comparison(identical=True)
    layout = dsig.LAYOUTS[str(mine.tag)]
    parts: dict[str, None] = {}
    for leaf in sorted(_leaves(mine).symmetric_difference(_leaves(theirs))):
        parts[_part_of(leaf, layout)] = None
    return Comparison(identical=False, differences=tuple(parts) or ("cách trình bày tệp",))


def _c14n(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n")


def _leaves(document: etree._Element) -> set[tuple[str, str, str]]:
    """Return (path with positions, text of a leaf, attributes) of every element of ``document``."""
    tree = document.getroottree()
    found = set()
    for element in document.iter():
        if not isinstance(element.tag, str):
            continue
        path = tree.getelementpath(element)
        text = "" if len(element) else (element.text or "").strip()
        attributes = ";".join(f"{key!s}={value!s}" for key, value in sorted(element.attrib.items()))
        found.add((path, text, attributes))
    return found


def _part_of(leaf: tuple[str, str, str], layout: dsig.Layout) -> str:
    """Name the part of the document the element at ``leaf`` belongs to."""
    path = leaf[0]
    if path.startswith(f"{layout.data}/"):
        inner = path.split("/", 1)[1]
        return next((name for prefix, name in PARTS if inner.startswith(prefix)), "nội dung khác")
    if path.startswith(dsig.AUTHORITY_CODE):
        return "mã của cơ quan thuế"
    if path.startswith(f"DSCKS/{dsig.AUTHORITY_ROLE}"):
        return "chữ ký số của cơ quan thuế"
    if path.startswith("DSCKS"):
        return "chữ ký số của đơn vị phát hành"
    if path.startswith("DLQRCode"):
        return "mã QR"
    return "phần khác của tệp"

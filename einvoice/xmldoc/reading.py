"""The read profile applied to a tree: each tolerated divergence of other providers' documents, found and set aside.

:func:`relax_before_structure` and :func:`drop_empty_elements` repair, in place, a copy of the document for schema
validation and return the warnings the read profile reports; :func:`judge_fault` says what the read profile makes
of a structural fault that :mod:`einvoice.xmldoc.structure` found.
Each tolerance is a row of :data:`einvoice.xmldoc.profiles.TOLERANCES`; this module only applies them.
"""

from __future__ import annotations

import re

from lxml import etree

from einvoice.domain.errors import Problem
from einvoice.domain.money import VND
from einvoice.xmldoc import formats
from einvoice.xmldoc.profiles import WARNING, tolerance
from einvoice.xmldoc.structure import Fault

#: Parents whose children the authority codes in other orders than the format table (SOURCES.md 01, 03, 04, 09, 11).
ORDER_TOLERANT = frozenset({"NBan", "NMua", "HHDVu", "TToan", "LTSuat"})
#: Required children that coded documents omit: (parent, child).
OPTIONAL_WHEN_READ = frozenset({("TTChung", "HDCTTChinh")})
#: Children outside our format that 2.0.x documents carry: (parent, child).
EXTRA_WHEN_READ = frozenset({("NDHDon", "TTKhac")})
#: What may follow the signed data at the root of an invoice; anything else there is set aside with a warning.
_ROOT_CHILDREN = frozenset({formats.INVOICE_DATA, "DLQRCode", "MCCQT", "DSCKS"})
_NCNAME = re.compile(r"[A-Za-z_][\w.\-]*\Z")
_SIGNATURE_SLOTS = frozenset({"DSCKS"})
#: How documents of 2021 wrote the đồng in DVTTe (SOURCES.md 01, coded by the authority's test system).
_DONG_SIGNS = frozenset({"đ", "vnđ", "đồng"})


def _problem(code: str, path: str, detail_vi: str, detail_en: str) -> Problem:
    row = tolerance(code)
    return Problem(code, path, f"{row.title_vi}: {detail_vi}", f"{row.title_en}: {detail_en}")


def _path(element: etree._Element) -> str:
    return element.getroottree().getpath(element)


def relax_before_structure(root: etree._Element) -> list[Problem]:
    """Repair, in place, what the schema must not see of a received document; return the warnings (first pass)."""
    warnings: list[Problem] = []
    if root.tag != formats.INVOICE_ROOT:
        return warnings
    version = root.find(f"{formats.INVOICE_DATA}/TTChung/PBan")
    if version is not None and version.text in formats.READABLE_INVOICE_VERSIONS:
        version.text = formats.INVOICE_VERSION
    currency = root.find(f"{formats.INVOICE_DATA}/TTChung/DVTTe")
    if currency is not None and (currency.text or "").strip().lower() in _DONG_SIGNS:
        warnings.append(
            _problem(
                "READ_CURRENCY_SIGN",
                _path(currency),
                f"'{currency.text}' được đọc là VND.",
                f"'{currency.text}' read as VND",
            )
        )
        currency.text = VND
    data = root.find(formats.INVOICE_DATA)
    identifier = None if data is None else data.get("Id")
    if data is not None and identifier is not None and not _NCNAME.match(identifier):
        data.set("Id", formats.INVOICE_DATA)
    for child in list(root):
        if isinstance(child.tag, str) and child.tag not in _ROOT_CHILDREN:
            warnings.append(
                _problem(
                    "READ_EXTRA_ELEMENT",
                    _path(child),
                    f"<{child.tag}> nằm ngoài phần dữ liệu được ký, không được kiểm tra.",
                    f"<{child.tag}> lies outside the signed data and is not checked",
                )
            )
            root.remove(child)
    return warnings


def judge_fault(fault: Fault, dropped: set[str]) -> Problem | None:
    """Return the warning the read profile makes of ``fault``, None when accepted silently; raise KeyError if not.

    ``dropped`` holds the paths of the empty elements already set aside, which are not missing but empty.
    """
    if fault.kind == "missing" and fault.path in dropped:
        return None
    if fault.kind.startswith("order") and fault.parent in ORDER_TOLERANT:
        return _problem(
            "READ_ORDER", fault.path, f"<{fault.child}> so với <{fault.detail}>.", fault.problem().message_en
        )
    if fault.kind == "missing" and (fault.parent, fault.child) in OPTIONAL_WHEN_READ:
        if tolerance("READ_OPTIONAL_ABSENT").read == WARNING:
            return _problem("READ_OPTIONAL_ABSENT", fault.path, f"<{fault.child}>.", fault.problem().message_en)
        return None
    if fault.kind == "unknown" and (fault.parent, fault.child) in EXTRA_WHEN_READ:
        return _problem(
            "READ_EXTRA_ELEMENT", fault.path, f"<{fault.child}> trong <{fault.parent}>.", fault.problem().message_en
        )
    raise KeyError(fault.kind)


def _is_empty(element: etree._Element) -> bool:
    if len(element) or element.attrib:
        return False
    return not (element.text or "").strip()


def drop_empty_elements(root: etree._Element) -> tuple[list[Problem], set[str]]:
    """Remove, in place, every empty element of a received document; return a warning for each, and their paths.

    Signature slots may be empty by design and stay; a second, empty ``DSCKS`` (the authority's 202) goes.
    """
    warnings: list[Problem] = []
    empty = [
        element
        for element in root.iterdescendants()
        if isinstance(element.tag, str) and _is_empty(element) and not _is_signature_slot(element, root)
    ]
    for element in empty:
        warnings.append(
            _problem(
                "READ_EMPTY_ELEMENT",
                _path(element),
                f"<{element.tag}> rỗng, được coi như không có.",
                f"<{element.tag}> is empty and read as absent",
            )
        )
    paths = {_path(element) for element in empty}
    for element in empty:
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)
    return warnings, paths


def _is_signature_slot(element: etree._Element, root: etree._Element) -> bool:
    parent = element.getparent()
    if parent is not None and parent.tag in _SIGNATURE_SLOTS:
        return True
    # The first DSCKS of the document is required, even empty; later ones are the authority's stray copies.
    return element.tag in _SIGNATURE_SLOTS and parent is root and root.find(str(element.tag)) is element

"""Messages to and from the tax authority: the ``TDiep`` envelope (choice 13), built around signed bytes and read back.

A message is ``TDiep/TTChung`` (version, sender, receiver, message type, message id, the id of the message answered,
the taxpayer's tax code, the number of items) followed by ``DLieu`` holding the items. Building never re-serialises
what it carries: the header is built, the signed documents are spliced in as the bytes they are (their XML declaration
dropped), so their signatures still verify inside the envelope. Reading goes through the one hardened parser, once
per message: the payload items are kept as the exact bytes that arrived (sliced from the message), because a coded
invoice (answer 202) becomes our document of record exactly as the authority sent it (choice 17), and beside them
the items' parsed elements, which the readers below use instead of parsing the bytes again.

Message types (format reference §6.2): 200 an invoice for coding (one per message), 203 uncoded invoices (several),
300 the error notice 04/SS-HĐĐT, 304 the receipt error notice 04/SS-CTĐT (unconfirmed), 999 the technical receipt,
202 a coded invoice, 204 a check result 01/TB-KTDL, 301 the answer to an error notice. Receipts travel in the daily
table 01/TH-BLĐT (choice 20: our versioned format; the message type is an open question of the spec's §8,
:data:`RECEIPT_TABLE`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from lxml import etree

from einvoice.domain.errors import UnsafeInputError
from einvoice.xmldoc.formats import XML_DECLARATION
from einvoice.xmldoc.safe import parse_untrusted

#: The envelope version we write (the data format's version, choice 13).
ENVELOPE_VERSION: Final = "2.1.0"
AUTHORITY: Final = "TCT"

CODED_INVOICE: Final = "200"
UNCODED_INVOICES: Final = "203"
ERROR_NOTICE: Final = "300"
#: 01/TH-BLĐT has no published message type (spec §8 question 5): ours, until the authority says.
RECEIPT_TABLE: Final = "212"
#: Receipt error notice 04/SS-CTĐT: 304 in QĐ 1271's list (UNCONFIRMED, spec §2.5).
RECEIPT_ERROR_NOTICE: Final = "304"

TECHNICAL_RECEIPT: Final = "999"
CODED: Final = "202"
CHECK_RESULT: Final = "204"
NOTICE_RESULT: Final = "301"
WRONG_FORMAT: Final = "-1"
ANSWERS: Final = frozenset({TECHNICAL_RECEIPT, CODED, CHECK_RESULT, NOTICE_RESULT, WRONG_FORMAT})

_DECLARATION = re.compile(rb"^\s*(?:\xef\xbb\xbf)?<\?xml[^>]*\?>\s*")
_SENDER = re.compile(r"^[A-Z0-9]{1,14}$")
#: What may hide a tag's name from the XML structure: comments, CDATA sections, a DOCTYPE, processing instructions.
_OPAQUE = re.compile(rb"<!|<\?")


class EnvelopeError(ValueError):
    """A message that cannot be built, or read as a ``TDiep`` of the expected kind."""


@dataclass(frozen=True)
class Header:
    """``TDiep/TTChung``."""

    version: str
    sender: str  # MNGui
    receiver: str  # MNNhan
    code: str  # MLTDiep
    message_id: str  # MTDiep
    answers: str | None = None  # MTDTChieu: the message this one answers
    tax_code: str | None = None  # MST: absent on real 999s
    count: int | None = None  # SLuong: absent on real 999s


@dataclass(frozen=True)
class Message:
    """A message read back: its header, the exact bytes of each ``DLieu`` item, and the message's own bytes.

    ``elements`` are the items as parsed with the message (same order as ``items``): read them, never re-parse.
    """

    header: Header
    items: tuple[bytes, ...]
    raw: bytes = field(repr=False)
    elements: tuple[etree._Element, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class Reason:
    """One error the authority gives: its code, text, and (204/301) how to fix it."""

    code: str
    text: str
    fix: str | None = None


def new_message_id(sender: str) -> str:
    """Return a fresh ``MTDiep``: the sender code and 32 upper-case hex digits of a random UUID (choice 13)."""
    if not _SENDER.match(sender):
        raise EnvelopeError(f"a sender code is 1–14 upper-case letters and digits, not {sender!r}")
    return sender + uuid.uuid4().hex.upper()


def build_message(header: Header, items: Sequence[bytes]) -> bytes:
    """Return the ``TDiep`` bytes: ``header`` then ``DLieu`` holding ``items`` byte for byte (declarations dropped)."""
    if header.code in (CODED_INVOICE,) and len(items) != 1:
        raise EnvelopeError("a message 200 carries exactly one invoice")
    if not items and header.code not in ANSWERS:
        raise EnvelopeError("a message carries at least one item")
    head = etree.Element("TTChung")
    values = [
        ("PBan", header.version),
        ("MNGui", header.sender),
        ("MNNhan", header.receiver),
        ("MLTDiep", header.code),
        ("MTDiep", header.message_id),
        ("MTDTChieu", header.answers),
        ("MST", header.tax_code),
        ("SLuong", None if header.count is None else str(header.count)),
    ]
    for tag, value in values:
        if value is not None:
            etree.SubElement(head, tag).text = value
    body = b"".join(without_declaration(item) for item in items)
    return b"".join(
        (XML_DECLARATION, b"<TDiep>", etree.tostring(head, encoding="utf-8"), b"<DLieu>", body, b"</DLieu></TDiep>")
    )


def read_message(raw: bytes) -> Message:
    """Parse a ``TDiep``; return its header and the exact bytes of each item of ``DLieu``."""
    root = parse_untrusted(raw)
    if root.tag != "TDiep":
        raise EnvelopeError(f"expected a TDiep message, got <{root.tag}>")
    head = root.find("TTChung")
    if head is None:
        raise EnvelopeError("the message has no TTChung")
    required = {tag: _text(head, tag) for tag in ("PBan", "MNGui", "MNNhan", "MLTDiep", "MTDiep")}
    missing = [tag for tag, value in required.items() if not value]
    if missing:
        raise EnvelopeError(f"TTChung lacks {', '.join(missing)}")
    count_text = _text(head, "SLuong")
    header = Header(
        version=required["PBan"],
        sender=required["MNGui"],
        receiver=required["MNNhan"],
        code=required["MLTDiep"],
        message_id=required["MTDiep"],
        answers=_text(head, "MTDTChieu") or None,
        tax_code=_text(head, "MST") or None,
        count=int(count_text) if count_text.isdigit() else None,
    )
    data = root.find("DLieu")
    elements = tuple(child for child in data if isinstance(child.tag, str)) if data is not None else ()
    # Without comments, CDATA sections or processing instructions, a tag's name in the bytes is a tag: slicing by
    # counting them is exact and needs no check; otherwise each slice is checked by parsing it (rare).
    declaration = _DECLARATION.match(raw)
    plain = _OPAQUE.search(raw, declaration.end() if declaration else 0) is None
    items = tuple(_exact_bytes(raw, element, checked=not plain) for element in elements)
    return Message(header, items, raw, elements)


def technical_receipt_ok(message: Message) -> tuple[bool, tuple[Reason, ...]]:
    """Read a 999: whether the message it answers was taken (``TTTNhan`` 0), and the reasons if not."""
    notice = _only_item(message, TECHNICAL_RECEIPT, "TBao")
    accepted = _text(notice, "TTTNhan") == "0"
    return accepted, tuple(_reasons(notice))


@dataclass(frozen=True)
class CheckResult:
    """A 204: its kind (``LTBao``: 1 refused a code, 2 package valid, 3/9 errors …) and every reason given."""

    kind: str
    reasons: tuple[Reason, ...]

    @property
    def accepted(self) -> bool:
        """Tell whether the authority found the data valid (``LTBao`` 2)."""
        return self.kind == "2"


def check_result(message: Message) -> CheckResult:
    """Read a 204 (01/TB-KTDL)."""
    notice = _only_item(message, CHECK_RESULT, "TBao")
    data = notice.find("DLTBao")
    if data is None:
        raise EnvelopeError("a 204 holds TBao/DLTBao")
    return CheckResult(_text(data, "LTBao"), tuple(_reasons(data)))


@dataclass(frozen=True)
class NoticeOutcome:
    """One document of a 301: which it is, whether the authority accepted the notice for it, and why not."""

    template: str
    series: str
    number: str
    accepted: bool
    reasons: tuple[Reason, ...]


def notice_result(message: Message) -> tuple[NoticeOutcome, ...]:
    """Read a 301 (01/TB-SSĐT): the outcome per document (``TTTNCCQT`` 1 accepted), never "no error text = ok"."""
    notice = _only_item(message, NOTICE_RESULT, "TBao")
    data = notice.find("DLTBao")
    if data is None:
        raise EnvelopeError("a 301 holds TBao/DLTBao")
    refused_whole = tuple(_reasons(data.find("DSLDKCNhan")))
    outcomes = []
    for row in data.iterfind("DSHDon/HDon"):
        outcomes.append(
            NoticeOutcome(
                template=_text(row, "KHMSHDon"),
                series=_text(row, "KHHDon"),
                number=_text(row, "SHDon"),
                accepted=_text(row, "TTTNCCQT") == "1" and not refused_whole,
                reasons=refused_whole + tuple(_reasons(row)),
            )
        )
    return tuple(outcomes)


@dataclass(frozen=True)
class Coded:
    """A 202: the coded invoice exactly as the authority sent it, and the code it assigned (``MCCQT``)."""

    document: bytes
    authority_code: str


def coded_invoice(message: Message) -> Coded:
    """Read a 202; the document keeps the authority's bytes (choice 17)."""
    if message.header.code != CODED or len(message.items) != 1:
        raise EnvelopeError("a 202 carries exactly one coded invoice")
    root = _item(message, 0)
    code = _text(root, "MCCQT")
    if root.tag != "HDon" or not code:
        raise EnvelopeError("the coded invoice has no MCCQT")
    return Coded(message.items[0], code)


def _only_item(message: Message, code: str, tag: str) -> etree._Element:
    if message.header.code != code or len(message.items) != 1:
        raise EnvelopeError(f"expected a {code} with one item, got a {message.header.code} with {len(message.items)}")
    item = _item(message, 0)
    if item.tag != tag:
        raise EnvelopeError(f"a {code} holds <{tag}>, not <{item.tag}>")
    return item


def _item(message: Message, index: int) -> etree._Element:
    """The ``index``-th item as parsed with the message (parsed from its bytes for a message built by hand)."""
    return message.elements[index] if message.elements else parse_untrusted(message.items[index])


def _reasons(parent: etree._Element | None) -> list[Reason]:
    """Every ``LDo`` below ``parent``: ``MLoi`` with ``MTLoi`` (models) or ``MTa`` (real answers), ``HDXLy``."""
    if parent is None:
        return []
    return [
        Reason(
            code=_text(reason, "MLoi"),
            text=_text(reason, "MTLoi") or _text(reason, "MTa"),
            fix=_text(reason, "HDXLy") or None,
        )
        for reason in parent.iter("LDo")
    ]


def _text(parent: etree._Element, tag: str) -> str:
    found = parent.find(tag)
    return (found.text or "").strip() if found is not None else ""


def without_declaration(item: bytes) -> bytes:
    """Return ``item`` without its XML declaration (and a BOM), to embed it in another document."""
    match = _DECLARATION.match(item)
    return item[match.end() :] if match else item


def _exact_bytes(raw: bytes, element: etree._Element, *, checked: bool) -> bytes:
    """Return the bytes of ``element`` as they stand in ``raw``; ``checked``: parse them back and compare trees.

    The slice is the ``index``-th ``<tag`` … ``</tag>`` of ``raw`` when there are exactly as many of each as there
    are elements of that name under the parent: no nested or other elements of that name can then be confused.
    """
    tag = element.tag.encode() if isinstance(element.tag, str) else b""
    starts = [m.start() for m in re.finditer(rb"<" + re.escape(tag) + rb"[\s>/]", raw)]
    ends = [m.end() for m in re.finditer(rb"</" + re.escape(tag) + rb"\s*>", raw)]
    siblings = [child for child in element.getparent() if child.tag == element.tag]  # type: ignore[union-attr]
    index = siblings.index(element)
    if len(starts) == len(siblings) and len(ends) == len(siblings) and index < len(starts):
        candidate = raw[starts[index] : ends[index]]
        if not checked or _same_tree(candidate, element):
            return candidate
    # Nested elements of the same name make slicing ambiguous: fall back to lxml's serialisation of the subtree,
    # which canonicalises to the same bytes (a signature over it still verifies).
    return etree.tostring(element, encoding="utf-8", xml_declaration=False)


def _same_tree(candidate: bytes, element: etree._Element) -> bool:
    try:
        parsed = parse_untrusted(candidate)
    except (UnsafeInputError, ValueError):
        return False
    return etree.tostring(parsed, method="c14n") == etree.tostring(element, method="c14n")

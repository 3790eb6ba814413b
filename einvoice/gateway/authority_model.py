"""How the simulated tax authority answers each message: a 999 at once, then 202 / 204 / 301 (2026 spec §3).

Pure but for the clock passed in: the HTTP side (:mod:`einvoice.gateway.simulator`) stores what this returns and
serves it. Incoming documents are judged with the reading profile (what the authority accepts) and their signatures
verified; a valid invoice sent for coding gets a fresh 34-hex ``MCCQT`` and the authority's signature.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from einvoice.domain.errors import Problem
from einvoice.kinds import NOTICE_MESSAGE_TYPES
from einvoice.signing.base import Signer
from einvoice.xmldoc import envelope as env
from einvoice.xmldoc.authority import code_invoice, new_authority_code
from einvoice.xmldoc.dsig import VIETNAM_TIME, format_signing_time
from einvoice.xmldoc.safe import parse_untrusted
from einvoice.xmldoc.sign import sign_references

#: Judges one document (an ``HDon``/``BLai``/``TBao`` item): the problems the authority would name.
Judge = Callable[[bytes], list[Problem]]


@dataclass(frozen=True)
class Answers:
    """What the authority says of one message: the immediate 999, then the final answer (if any)."""

    technical: bytes
    final: bytes | None


def answer(message: env.Message, *, judge: Judge, signer: Signer, now: datetime) -> Answers:
    """Return the authority's answers to ``message``."""
    header = message.header
    if header.code not in {env.CODED_INVOICE, env.UNCODED_INVOICES, env.RECEIPT_TABLE, *NOTICE_MESSAGE_TYPES}:
        reason = env.Reason("10002", f"Mã loại thông điệp {header.code} không được hỗ trợ")
        return Answers(_technical(header, now, (reason,)), None)
    if not message.items or (header.count is not None and header.count != len(message.items)):
        reason = env.Reason("10003", "Số lượng dữ liệu (SLuong) không khớp với nội dung thông điệp")
        return Answers(_technical(header, now, (reason,)), None)
    technical = _technical(header, now, ())
    if header.code == env.CODED_INVOICE:
        problems = judge(message.items[0])
        if problems:
            return Answers(technical, _check_result(header, "1", problems, signer, now))
        coded = code_invoice(message.items[0], new_authority_code(), signer, signing_time=now)
        return Answers(technical, _reply(header, env.CODED, [coded]))
    if header.code in NOTICE_MESSAGE_TYPES:  # 300 (04/SS-HĐĐT) or 304 (04/SS-CTĐT): both answered by a 301
        judged = [(item, judge(item)) for item in message.items]  # a notice's signature is checked like any other
        return Answers(technical, _notice_result(header, judged, signer, now))
    problems = [problem for item in message.items for problem in judge(item)]
    return Answers(technical, _check_result(header, "3" if problems else "2", problems, signer, now))


def _reply(answered: env.Header, code: str, items: list[bytes]) -> bytes:
    header = env.Header(
        version=answered.version,
        sender=env.AUTHORITY,
        receiver=answered.sender,
        code=code,
        message_id=env.new_message_id(env.AUTHORITY),
        answers=answered.message_id,
        tax_code=None if code == env.TECHNICAL_RECEIPT else answered.tax_code,
        count=None if code == env.TECHNICAL_RECEIPT else len(items),
    )
    return env.build_message(header, items)


def _technical(answered: env.Header, now: datetime, reasons: tuple[env.Reason, ...]) -> bytes:
    notice = etree.Element("TBao")
    for tag, value in (
        ("MTDiep", answered.message_id),
        ("MNGui", answered.sender),
        ("NNhan", _local(now)),
        ("TTTNhan", "1" if reasons else "0"),
    ):
        etree.SubElement(notice, tag).text = value
    if reasons:
        listing = etree.SubElement(notice, "DSLDo")
        for reason in reasons:
            row = etree.SubElement(listing, "LDo")
            etree.SubElement(row, "MLoi").text = reason.code
            etree.SubElement(row, "MTa").text = reason.text
    return _reply(answered, env.TECHNICAL_RECEIPT, [etree.tostring(notice, encoding="utf-8")])


def _check_result(answered: env.Header, kind: str, problems: list[Problem], signer: Signer, now: datetime) -> bytes:
    data = _notice_data("01/TB-KTDL", "Thông báo về việc kết quả kiểm tra dữ liệu hóa đơn điện tử", answered, now)
    etree.SubElement(data, "LTBao").text = kind
    etree.SubElement(data, "CCu").text = answered.message_id
    etree.SubElement(data, "SLuong").text = "1"
    if problems:
        _reasons(etree.SubElement(etree.SubElement(data, "KHLKhac"), "DSLDo"), problems)
    return _reply(answered, env.CHECK_RESULT, [_signed_notice(data, signer, now)])


def _reasons(listing: etree._Element, problems: list[Problem]) -> None:
    """Write each problem as the authority writes a reason: ``LDo`` with ``MLoi``, ``MTLoi`` (Vietnamese), ``HDXLy``.

    Our own problem codes are not the authority's numbers: such a problem gets ``MLoi`` 9999 and keeps its code at
    the head of ``MTLoi``.
    """
    for index, problem in enumerate(problems, start=1):
        numbered = problem.code.isdigit() and len(problem.code) <= 5
        row = etree.SubElement(listing, "LDo")
        etree.SubElement(row, "STT").text = str(index)
        etree.SubElement(row, "MLoi").text = problem.code if numbered else "9999"
        text = problem.message_vi if numbered else f"{problem.code}: {problem.message_vi}"
        etree.SubElement(row, "MTLoi").text = text[:255]
        etree.SubElement(row, "HDXLy").text = "Sửa dữ liệu theo mô tả lỗi và gửi lại"


#: The columns a 301 echoes per document, with the receipt notice's name of each (our 04/SS-CTĐT, choice 19).
_ANSWERED_COLUMNS = (("MCQTCap", "MCQTCap"), ("KHMSHDon", "KHMCTu"), ("KHHDon", "KHCTu"), ("SHDon", "SCTu"))


def _notice_result(
    answered: env.Header, judged: list[tuple[bytes, list[Problem]]], signer: Signer, now: datetime
) -> bytes:
    """Answer error notices (301): each row accepted (``TTTNCCQT`` 1), or refused (2) with the notice's problems."""
    data = _notice_data("01/TB-SSĐT", "Thông báo về việc tiếp nhận và kết quả xử lý", answered, now)
    etree.SubElement(data, "MGDDTu").text = answered.message_id
    etree.SubElement(data, "TGNhan").text = _local(now)
    listing = etree.SubElement(data, "DSHDon")
    number = 0
    for item, problems in judged:
        notice = parse_untrusted(item)
        rows = [*notice.iterfind("DLTBao/DSHDon/HDon"), *notice.iterfind("DLTBao/DSCTu/CTu")]
        for row in rows:
            number += 1
            out = etree.SubElement(listing, "HDon")
            etree.SubElement(out, "STT").text = str(number)
            for tag, receipt_tag in _ANSWERED_COLUMNS:  # a receipt notice (04/SS-CTĐT) names its own columns
                etree.SubElement(out, tag).text = (row.findtext(tag) or row.findtext(receipt_tag) or "").strip()
            etree.SubElement(out, "NLap").text = (row.findtext("Ngay") or "").strip()
            etree.SubElement(out, "TCTBao").text = (row.findtext("TCTBao") or "").strip()
            etree.SubElement(out, "TTTNCCQT").text = "2" if problems else "1"
            if problems:
                _reasons(etree.SubElement(out, "DSLDKTNhan"), problems)
    return _reply(answered, env.NOTICE_RESULT, [_signed_notice(data, signer, now)])


def _notice_data(form: str, title: str, answered: env.Header, now: datetime) -> etree._Element:
    data = etree.Element("DLTBao", Id=f"Id-{uuid.uuid4().hex}")
    for tag, value in (
        ("PBan", answered.version),
        ("MSo", form),
        ("Ten", title),
        ("DDanh", "Hà Nội"),
        ("NTBao", now.astimezone(VIETNAM_TIME).date().isoformat()),
        ("MST", answered.tax_code or ""),
    ):
        etree.SubElement(data, tag).text = value
    return data


def _signed_notice(data: etree._Element, signer: Signer, now: datetime) -> bytes:
    data_bytes = etree.tostring(data, encoding="utf-8")
    digest = hashlib.sha256(etree.tostring(data, method="c14n")).digest()
    signature = sign_references(
        signer,
        signature_id=f"Tct-{uuid.uuid4().hex}",
        references=((f"#{data.get('Id')}", digest),),
        signing_time=now,
    )
    return b"<TBao>" + data_bytes + b"<DSCKS><CQT>" + signature + b"</CQT></DSCKS></TBao>"


def _local(moment: datetime) -> str:
    return format_signing_time(moment)

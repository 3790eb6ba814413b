"""What the lookup page says of a document's standing with the tax authority, for every class and transmission."""

from __future__ import annotations

import pytest

from einvoice.domain.kinds import DocumentKind
from einvoice.services.queries import StoredDocument
from einvoice.web.public_view import authority_status
from einvoice.xmldoc.envelope import Reason

DAY = "02/03/2026"
CODE = "4A2BE71879335F235D8DF98FC3D8B06BE3"
REASON = Reason("2001", "Mã số thuế người mua không đúng", "Sửa dữ liệu theo mô tả lỗi và gửi lại")

#: (kind, series, transmission, packed message state, code) -> (tone, words)
CASES = {
    ("invoice", "C26TAA", "pending", None, None): ("waiting", "Chờ cơ quan thuế cấp mã"),
    ("invoice", "C26TAA", "sent", "sent", None): ("waiting", "Chờ cơ quan thuế cấp mã"),
    ("invoice", "C26TAA", "accepted", "done", CODE): ("done", f"Đã được cơ quan thuế cấp mã {CODE}"),
    ("invoice", "C26TAA", "rejected", "done", None): ("refused", "Cơ quan thuế từ chối cấp mã cho hóa đơn này"),
    ("invoice", "K26TAA", "pending", None, None): (
        "waiting",
        "Chưa gửi cơ quan thuế: hóa đơn sẽ được gửi chậm nhất vào ngày làm việc tiếp theo",
    ),
    ("invoice", "K26TAA", "pending", "pending", None): ("waiting", "Đang gửi cơ quan thuế"),
    ("invoice", "K26TAA", "sent", "sent", None): ("waiting", "Đã gửi cơ quan thuế, đang chờ kết quả kiểm tra"),
    ("invoice", "K26TAA", "accepted", "done", None): ("done", "Cơ quan thuế đã tiếp nhận hóa đơn"),
    ("invoice", "K26TAA", "rejected", "done", None): ("refused", "Cơ quan thuế không chấp nhận dữ liệu hóa đơn này"),
    ("receipt", "26TAA", "pending", None, None): (
        "waiting",
        f"Chưa gửi cơ quan thuế: biên lai sẽ được gửi trong bảng tổng hợp biên lai ngày {DAY}",
    ),
    ("receipt", "26TAA", "pending", "parked", None): (
        "waiting",
        f"Đã đưa vào bảng tổng hợp biên lai ngày {DAY}, đang gửi cơ quan thuế",
    ),
    ("receipt", "26TAA", "sent", "sent", None): (
        "waiting",
        f"Đã gửi cơ quan thuế trong bảng tổng hợp biên lai ngày {DAY}",
    ),
    ("receipt", "26TAA", "accepted", "done", None): (
        "done",
        f"Cơ quan thuế đã tiếp nhận bảng tổng hợp biên lai ngày {DAY} có biên lai này",
    ),
    ("receipt", "26TAA", "rejected", "done", None): (
        "refused",
        f"Cơ quan thuế không chấp nhận bảng tổng hợp biên lai ngày {DAY} có biên lai này",
    ),
}


@pytest.mark.parametrize(("case", "expected"), CASES.items(), ids=[" ".join(str(p) for p in c[:4]) for c in CASES])
def test_each_standing_reads_in_plain_vietnamese(
    case: tuple[str, str, str, str | None, str | None], expected: tuple[str, str]
) -> None:
    """The tone and the sentence for each class of document and each step on its way to the authority."""
    kind, series, transmission, message_state, code = case
    stored = StoredDocument(
        b"", DocumentKind(kind), "issued", "", series=series, transmission=transmission, message_state=message_state
    )
    reasons = (REASON,) if transmission == "rejected" else ()
    status = authority_status(stored, authority_code=code, reasons=reasons, day=DAY)
    assert (status["tone"], status["text"]) == expected
    assert status["reasons"] == ([{"code": "2001", "text": REASON.text, "fix": REASON.fix}] if reasons else [])

"""The counting rule of reconciliation, in one place, with the sentence the finance page shows.

A correction is a new document (Circular 91 Art 10 and 20). A **replacement** supersedes the original: the original
(state ``replaced``) is left out of the totals and the replacement counts in full. An **adjustment** adds its signed
delta: the original still counts, and the adjustment counts with its own total, negative for a decrease. A cancelled
document counts for nothing. Every document still appears in the per-state table, counted or not.
"""

from __future__ import annotations

from decimal import Decimal

from einvoice.domain.kinds import NAMES, DocumentKind
from einvoice.domain.lifecycle import Standing

#: States whose documents are left out of the totals.
NOT_COUNTED = ("replaced", "cancelled")

RULE_VI = (
    "Cách tính: biên lai, hóa đơn bị thay thế hoặc đã hủy không được cộng; biên lai, hóa đơn thay thế được cộng toàn "
    "bộ; chứng từ điều chỉnh được cộng phần chênh lệch có dấu (giảm thì trừ). Bảng theo trạng thái liệt kê mọi chứng "
    "từ, kể cả chứng từ không được cộng."
)

#: The kind of a document as exports and reports name it ("Biên lai", "Hóa đơn").
KIND_LABELS_VI = {kind.value: NAMES[kind].noun_vi.capitalize() for kind in DocumentKind}

#: A document's state (its standing, :class:`~einvoice.domain.lifecycle.Standing`) in words: exactly those states.
#: The authority's answer (accepted, rejected) is the transmission's, not a document state.
STATE_LABELS_VI = {
    Standing.ISSUED.value: "Đã phát hành",
    Standing.REPLACED.value: "Bị thay thế",
    Standing.ADJUSTED.value: "Bị điều chỉnh",
    Standing.EXPLAINED.value: "Đã giải trình",
    Standing.CANCELLED.value: "Đã hủy",
}

PAYMENT_LABELS_VI = {"TM": "Tiền mặt", "CK": "Chuyển khoản", "TM/CK": "Tiền mặt/Chuyển khoản"}


def counts(state: str) -> bool:
    """Tell whether a document in ``state`` counts in the totals."""
    return state not in NOT_COUNTED


def from_hundredths(value: int | None) -> Decimal:
    """Return an amount kept in hundredths as an exact decimal, without trailing zeros after the point."""
    amount = Decimal(value or 0).scaleb(-2)
    return amount.quantize(Decimal(1)) if amount == amount.to_integral_value() else amount.normalize()

"""The payment methods a document may name (choice 18): a fixed list, stored as codes, printed in words.

``HTTToan`` carries the short code real documents use (``TM``, ``CK``, ``TM/CK``…, format reference §3.3); the
printout says the words. Issuing refuses anything else; reading someone else's document accepts any text and prints
it as written when it is not one of ours (:func:`words`).
"""

from __future__ import annotations

from types import MappingProxyType

from einvoice.domain.errors import Problem

CASH = "TM"
TRANSFER = "CK"
CASH_AND_TRANSFER = "TM/CK"

#: Code → words, in the order a form offers them.
METHODS = MappingProxyType(
    {
        CASH: "Tiền mặt",
        TRANSFER: "Chuyển khoản",
        CASH_AND_TRANSFER: "Tiền mặt/Chuyển khoản",
        "POS": "Thẻ ngân hàng (POS)",
        "DTCN": "Đối trừ công nợ",
        "KTT": "Không thu tiền",
    }
)
#: Codes seen on documents issued elsewhere (or by earlier versions), printed in words but no longer issued.
_READ_ONLY = MappingProxyType({"TTD": "Thẻ tín dụng", "DCCN": "Đối trừ công nợ", "KHAC": "Khác"})
CODES = tuple(METHODS)
#: What the counter offers a citizen paying a fee: cash, bank transfer, or part of each.
COUNTER_METHODS = (CASH, TRANSFER, CASH_AND_TRANSFER)


def words(code: str) -> str:
    """Return how a payment method prints: the words of a known code, any other text as written."""
    return METHODS.get(code) or _READ_ONLY.get(code) or code


def problem(code: str, path: str = "payment_method") -> Problem | None:
    """Return the problem with ``code`` as the payment method of a document to issue; ``None`` if it is ours."""
    if code in METHODS:
        return None
    allowed = ", ".join(CODES)
    return Problem(
        "payment_method",
        path,
        f"Hình thức thanh toán phải là một trong các mã: {allowed}",
        f"payment method must be one of {allowed}, not {code!r}",
    )

"""The life of an issued document: one state machine for every kind, pure (no clock, no storage).

A document's state has two independent parts, because the road to the tax authority and the corrections do not wait
for each other (an uncoded invoice may be replaced before its 203 batch leaves; a receipt's same-day table may carry
an already replaced receipt):

- **transmission** — ``pending`` (signed and stored, not yet sent) → ``sent`` → ``accepted`` (a "C" invoice: coded,
  ``MCCQT`` received; others: received) or ``rejected`` (204: a coded invoice refused is no invoice at all);
- **standing** — ``issued`` (in force, nothing corrected) → ``replaced`` (final), ``adjusted`` (more adjustments may
  follow), ``explained`` (an error notice 04/SS was sent for a soft error; adjustment or replacement may still follow),
  and ``cancelled``, which only a legacy setting permits (Circular 91 has no cancel procedure).

Legal moves (Circular 91 Art 10 and 20, choice 15):

- ``send`` from ``pending``; ``accept`` and ``reject`` from ``sent``;
- a correction (``replace``, ``adjust``, ``explain``, ``cancel``) needs a document the authority has not rejected, and
  for a coded invoice (series ``C…``) one the authority has coded — before its code it is not yet an invoice;
- ``replace``: from ``issued`` or ``explained``; ``adjust``: invoices only, from ``issued``, ``explained`` or
  ``adjusted`` (the first method chosen binds: an adjusted invoice is never replaced); ``explain``: from ``issued`` or
  ``explained``; ``cancel``: from ``issued`` or ``explained`` when the legacy setting allows it for that document.

Anything else raises :class:`IllegalTransition` with the reason in both languages.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from einvoice.domain.errors import EInvoiceError
from einvoice.domain.kinds import DocumentKind

#: Circular 91 applies from this day: it has no cancel procedure, so only documents issued before it may be cancelled.
CANCEL_PROCEDURE_ENDED = date(2026, 7, 1)


def legacy_cancel_allowed(setting: bool, issue_date: date) -> bool:
    """Tell whether a plain cancel (``TCTBao=1``) is allowed: the legacy setting is on and the document was issued
    before :data:`CANCEL_PROCEDURE_ENDED` (2026 spec § Summary row 5, choice 15)."""
    return setting and issue_date < CANCEL_PROCEDURE_ENDED


class DocumentClass(StrEnum):
    """What the rules distinguish between documents."""

    RECEIPT = DocumentKind.RECEIPT.value
    CODED_INVOICE = "coded_invoice"  # series starting with C: the authority returns MCCQT
    UNCODED_INVOICE = "uncoded_invoice"  # series starting with K


class Transmission(StrEnum):
    """Where the document is on its way to the tax authority."""

    PENDING = "pending"  # signed and stored, not yet sent
    SENT = "sent"
    ACCEPTED = "accepted"  # coded (C invoices) or received (others)
    REJECTED = "rejected"  # refused by the authority (204)


class Standing(StrEnum):
    """Whether the document is still in force as issued, or how it was corrected."""

    ISSUED = "issued"
    EXPLAINED = "explained"  # error notice 04/SS-HĐĐT or 04/SS-CTĐT sent (soft error)
    ADJUSTED = "adjusted"  # điều chỉnh: one or more adjusting invoices refer to it
    REPLACED = "replaced"  # thay thế: a replacing document refers to it
    CANCELLED = "cancelled"  # hủy: legacy periods only


class Action(StrEnum):
    """What may happen to a document."""

    SEND = "send"
    ACCEPT = "accept"
    REJECT = "reject"
    REPLACE = "replace"
    ADJUST = "adjust"
    EXPLAIN = "explain"
    CANCEL = "cancel"


TRANSMISSION_ACTIONS = frozenset({Action.SEND, Action.ACCEPT, Action.REJECT})
CORRECTION_ACTIONS = frozenset({Action.REPLACE, Action.ADJUST, Action.EXPLAIN, Action.CANCEL})

_TRANSMISSION_MOVES = {
    Action.SEND: (Transmission.PENDING, Transmission.SENT),
    Action.ACCEPT: (Transmission.SENT, Transmission.ACCEPTED),
    Action.REJECT: (Transmission.SENT, Transmission.REJECTED),
}
_CORRECTION_MOVES: dict[Action, tuple[frozenset[Standing], Standing]] = {
    Action.REPLACE: (frozenset({Standing.ISSUED, Standing.EXPLAINED}), Standing.REPLACED),
    Action.ADJUST: (frozenset({Standing.ISSUED, Standing.EXPLAINED, Standing.ADJUSTED}), Standing.ADJUSTED),
    Action.EXPLAIN: (frozenset({Standing.ISSUED, Standing.EXPLAINED}), Standing.EXPLAINED),
    Action.CANCEL: (frozenset({Standing.ISSUED, Standing.EXPLAINED}), Standing.CANCELLED),
}


@dataclass(frozen=True, slots=True)
class State:
    """A document's whole state: its transmission and its standing."""

    transmission: Transmission = Transmission.PENDING
    standing: Standing = Standing.ISSUED


class IllegalTransition(EInvoiceError):
    """The action is not allowed in the document's state; the reason is given in Vietnamese and English."""

    def __init__(self, action: Action, state: State, message_vi: str, message_en: str) -> None:
        self.action = action
        self.state = state
        self.message_vi = message_vi
        self.message_en = message_en
        super().__init__(message_en)


def document_class(kind: str, series: str) -> DocumentClass:
    """Return the class of a document from its kind (``invoice``/``receipt``) and series."""
    if DocumentKind(kind) is DocumentKind.RECEIPT:
        return DocumentClass.RECEIPT
    return DocumentClass.CODED_INVOICE if series.startswith("C") else DocumentClass.UNCODED_INVOICE


def apply(state: State, action: Action, cls: DocumentClass, *, legacy_cancel: bool = False) -> State:
    """Return the state after ``action``, or raise :class:`IllegalTransition` saying why it is not allowed.

    ``legacy_cancel`` says whether the setting for documents of periods before July 2026 allows cancelling this one.
    """
    if action in TRANSMISSION_ACTIONS:
        source, sent_to = _TRANSMISSION_MOVES[action]
        if state.transmission is not source:
            raise IllegalTransition(
                action,
                state,
                f"Không thể {_VI[action]} khi chứng từ đang ở trạng thái {_VI_TRANSMISSION[state.transmission]}.",
                f"cannot {action.value} a document whose transmission is {state.transmission.value}",
            )
        return replace(state, transmission=sent_to)
    _check_correctable(state, action, cls, legacy_cancel)
    sources, target = _CORRECTION_MOVES[action]
    if state.standing not in sources:
        raise IllegalTransition(action, state, *_standing_refusal(state.standing, action))
    return replace(state, standing=target)


def allowed(state: State, action: Action, cls: DocumentClass, *, legacy_cancel: bool = False) -> bool:
    """Tell whether ``action`` is allowed in ``state``."""
    try:
        apply(state, action, cls, legacy_cancel=legacy_cancel)
    except IllegalTransition:
        return False
    return True


def _check_correctable(state: State, action: Action, cls: DocumentClass, legacy_cancel: bool) -> None:
    if action is Action.ADJUST and cls is DocumentClass.RECEIPT:
        raise IllegalTransition(
            action,
            state,
            "Biên lai không được điều chỉnh; biên lai sai được thay thế bằng biên lai khác (Thông tư 91, Điều 20).",
            "receipts are never adjusted, only replaced (Circular 91 Art 20)",
        )
    if action is Action.CANCEL and not legacy_cancel:
        raise IllegalTransition(
            action,
            state,
            "Không có thủ tục hủy chứng từ từ ngày 01/07/2026; hãy điều chỉnh, thay thế hoặc thông báo sai sót.",
            "there is no cancel procedure since 1 July 2026: adjust, replace or send an error notice",
        )
    if state.transmission is Transmission.REJECTED:
        raise IllegalTransition(
            action,
            state,
            "Cơ quan thuế đã từ chối chứng từ này; hãy lập chứng từ mới thay vì sửa nó.",
            "the tax authority rejected this document: issue a new one instead of correcting it",
        )
    if cls is DocumentClass.CODED_INVOICE and state.transmission is not Transmission.ACCEPTED:
        raise IllegalTransition(
            action,
            state,
            "Hóa đơn chưa được cơ quan thuế cấp mã; chỉ sửa sai sau khi có mã.",
            "the invoice has no code from the tax authority yet: correct it once it is coded",
        )


def _standing_refusal(standing: Standing, action: Action) -> tuple[str, str]:
    if standing is Standing.ADJUSTED and action is Action.REPLACE:
        return (
            "Hóa đơn đã được điều chỉnh; các lần sửa sau cũng phải điều chỉnh (Thông tư 91, Điều 10.6.a).",
            "the invoice was adjusted: the first method binds, later corrections adjust too (Circular 91 Art 10.6.a)",
        )
    return (
        f"Không thể {_VI[action]} chứng từ {_VI_STANDING[standing]}.",
        f"cannot {action.value} a document that is {standing.value}",
    )


_VI = {
    Action.SEND: "gửi",
    Action.ACCEPT: "ghi nhận chấp nhận",
    Action.REJECT: "ghi nhận từ chối",
    Action.REPLACE: "thay thế",
    Action.ADJUST: "điều chỉnh",
    Action.EXPLAIN: "thông báo sai sót cho",
    Action.CANCEL: "hủy",
}
_VI_TRANSMISSION = {
    Transmission.PENDING: "chưa gửi cơ quan thuế",
    Transmission.SENT: "đã gửi, chờ cơ quan thuế",
    Transmission.ACCEPTED: "cơ quan thuế đã tiếp nhận",
    Transmission.REJECTED: "cơ quan thuế từ chối",
}
_VI_STANDING = {
    Standing.ISSUED: "đang có hiệu lực",
    Standing.EXPLAINED: "đã thông báo sai sót",
    Standing.ADJUSTED: "đã bị điều chỉnh",
    Standing.REPLACED: "đã bị thay thế",
    Standing.CANCELLED: "đã bị hủy",
}
#: Vietnamese words for the states, as printed and shown to staff.
STANDING_WORDS = {
    Standing.ISSUED: "Đã phát hành",
    Standing.EXPLAINED: "Đã thông báo sai sót",
    Standing.ADJUSTED: "Đã bị điều chỉnh",
    Standing.REPLACED: "Đã bị thay thế",
    Standing.CANCELLED: "Đã hủy",
}
TRANSMISSION_WORDS = {
    Transmission.PENDING: "Chưa gửi cơ quan thuế",
    Transmission.SENT: "Đã gửi, chờ cơ quan thuế",
    Transmission.ACCEPTED: "Cơ quan thuế đã tiếp nhận",
    Transmission.REJECTED: "Cơ quan thuế từ chối",
}

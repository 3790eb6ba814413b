"""Parties of a document: the issuer (seller, or collecting organisation) and the buyer (or payer).

Identifier rules (choice 12): a tax code (mã số thuế) has 10 digits, 10 digits + ``-`` + 3 digits for a branch, or 12
digits for an individual whose citizen ID serves as tax code; a citizen ID (căn cước công dân) has 12 digits; a
budget-relationship unit code (mã đơn vị có quan hệ với ngân sách) has 7 digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# fullmatch, not ``^…$``: ``$`` also matches before a final newline.
_TAX_CODE = re.compile(r"\d{10}(?:-\d{3})?|\d{12}")
_CITIZEN_ID = re.compile(r"\d{12}")
_BUDGET_UNIT = re.compile(r"\d{7}")


def is_tax_code(value: str) -> bool:
    """Tell whether ``value`` is a well-formed tax code."""
    return bool(_TAX_CODE.fullmatch(value))


def is_citizen_id(value: str) -> bool:
    """Tell whether ``value`` is a well-formed 12-digit citizen ID."""
    return bool(_CITIZEN_ID.fullmatch(value))


def is_budget_unit_code(value: str) -> bool:
    """Tell whether ``value`` is a well-formed 7-digit budget-relationship unit code."""
    return bool(_BUDGET_UNIT.fullmatch(value))


@dataclass(frozen=True, slots=True)
class Seller:
    """The issuer: a seller on invoices, the collecting organisation (đơn vị thu) on receipts."""

    name: str
    tax_code: str
    address: str
    phone: str | None = None
    email: str | None = None
    bank_account: str | None = None
    bank_name: str | None = None
    budget_unit_code: str | None = None
    fax: str | None = None
    website: str | None = None


@dataclass(frozen=True, slots=True)
class Buyer:
    """The buyer on invoices, the payer (người nộp) on receipts; every field may be absent."""

    name: str | None = None
    tax_code: str | None = None
    budget_unit_code: str | None = None
    address: str | None = None
    customer_code: str | None = None
    phone: str | None = None
    citizen_id: str | None = None
    passport: str | None = None
    email: str | None = None
    contact_name: str | None = None
    bank_account: str | None = None
    bank_name: str | None = None

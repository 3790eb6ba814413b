"""Schema errors as problems: the caller's own field path, an UPPER_SNAKE code, a Vietnamese and an English message.

Marshmallow reports errors as nested mappings of English strings. :func:`problems_of` walks them into one
:class:`~einvoice.domain.errors.Problem` per message, with the path written as the caller wrote the request
(``payer.name``, ``lines[0].quantity``). Messages raised by this package's own validators are :class:`Message`
values that already carry their code and Vietnamese text; marshmallow's built-in messages are recognised by
:data:`_BUILT_IN`. A missing field is named in words a cashier understands (:data:`LABELS`): a payer without a name
gets "Thiếu tên người nộp".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from einvoice.domain.errors import Problem


class Message(str):
    """An English error message that also carries its problem code and its Vietnamese text."""

    code: str
    vi: str

    def __new__(cls, code: str, vi: str, en: str) -> Message:
        """Make the message ``en`` of problem ``code``, worded ``vi`` in Vietnamese."""
        made = super().__new__(cls, en)
        made.code = code
        made.vi = vi
        return made


#: Words for the fields a caller may leave out or get wrong, by path without indices: the longest known suffix wins.
LABELS: dict[str, tuple[str, str]] = {
    "payer.name": ("tên người nộp", "payer name"),
    "buyer.name": ("tên người mua", "buyer name"),
    "seller.name": ("tên người bán", "seller name"),
    "collector.name": ("tên đơn vị thu", "collecting organisation name"),
    "payer": ("thông tin người nộp", "payer"),
    "buyer": ("thông tin người mua", "buyer"),
    "seller": ("thông tin người bán", "seller"),
    "collector": ("thông tin đơn vị thu", "collecting organisation"),
    "name": ("tên", "name"),
    "tax_code": ("mã số thuế", "tax code"),
    "address": ("địa chỉ", "address"),
    "series_id": ("ký hiệu", "series"),
    "series": ("ký hiệu", "series"),
    "template": ("mẫu số", "template"),
    "issue_date": ("ngày lập", "issue date"),
    "lines": ("danh sách dòng", "lines"),
    "fees": ("danh sách khoản thu", "fees"),
    "code": ("mã", "code"),
    "quantity": ("số lượng", "quantity"),
    "unit_price": ("đơn giá", "unit price"),
    "amount": ("số tiền", "amount"),
    "vat_rate": ("thuế suất", "VAT rate"),
    "currency": ("đơn vị tiền tệ", "currency"),
    "exchange_rate": ("tỷ giá", "exchange rate"),
    "kind": ("loại", "kind"),
    "request": ("nội dung yêu cầu", "request"),
    "legal_basis": ("căn cứ pháp lý", "legal basis"),
    "effective_from": ("ngày hiệu lực", "effective date"),
    "issuer_id": ("đơn vị phát hành", "issuer"),
    "counter_id": ("quầy", "counter"),
    "symbol": ("ký hiệu", "series symbol"),
    "username": ("tên đăng nhập", "username"),
    "password": ("mật khẩu", "password"),
    "role": ("vai trò", "role"),
    "full_name": ("họ và tên", "full name"),
}

_Rule = tuple[re.Pattern[str], str, str]
#: marshmallow's own messages: (pattern, code, Vietnamese with ``{label}`` and the pattern's groups).
_BUILT_IN: tuple[_Rule, ...] = tuple(
    (re.compile(pattern), code, vi)
    for pattern, code, vi in (
        (r"Missing data for required field\.", "MISSING_FIELD", "Thiếu {label}"),
        (r"Unknown field\.", "UNKNOWN_FIELD", "Trường không được chấp nhận"),
        (r"Field may not be null\.", "NULL_FIELD", "Không được để trống {label}"),
        (r"Not a valid integer\.", "NOT_INTEGER", "{Label} phải là số nguyên"),
        (r"Not a valid number\.|Number too large\.", "NOT_NUMBER", "{Label} phải là số"),
        (r"Special numeric values.*", "NOT_NUMBER", "{Label} phải là số hữu hạn"),
        (r"Not a valid (?:utf-8 )?string\.", "NOT_STRING", "{Label} phải là chuỗi ký tự"),
        (r"Not a valid date(?:time)?\.|.*formatted as a date.*", "NOT_DATE", "{Label} phải có dạng YYYY-MM-DD"),
        (r"Invalid JSON body\.", "INVALID_JSON", "Nội dung yêu cầu không phải JSON hợp lệ"),
        (r"Not a valid boolean\.", "NOT_BOOLEAN", "{Label} phải là đúng hoặc sai (true/false)"),
        (r"Not a valid list\.", "NOT_LIST", "{Label} phải là một danh sách"),
        (r"Not a valid mapping type\.|Invalid input type\.", "NOT_OBJECT", "{Label} phải là một đối tượng JSON"),
        (r"Not a valid email address\.", "NOT_EMAIL", "Địa chỉ thư điện tử không hợp lệ"),
        (r"Must be one of: (.*)\.", "NOT_ONE_OF", "{Label} phải là một trong các giá trị: {0}"),
        (r"Longer than maximum length (\d+)\.", "TOO_LONG", "{Label} dài quá {0} ký tự"),
        (r"Shorter than minimum length (\d+)\.", "TOO_SHORT", "{Label} phải có ít nhất {0} ký tự"),
        (r"Length must be between (\d+) and (\d+)\.", "LENGTH", "{Label} phải có từ {0} đến {1} phần tử"),
        (r"Length must be (\d+)\.", "LENGTH", "{Label} phải có đúng {0} ký tự"),
        (
            r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\.",
            "OUT_OF_RANGE",
            "{Label} phải từ {0} đến {1}",
        ),
        (r"Must be greater than or equal to (\S+)\.", "OUT_OF_RANGE", "{Label} phải lớn hơn hoặc bằng {0}"),
        (r"String does not match expected pattern\.", "BAD_FORMAT", "{Label} không đúng định dạng"),
    )
)


def _label(path: str) -> tuple[str, str]:
    parts = re.sub(r"\[\d+\]", "", path).split(".")
    for start in range(len(parts)):
        found = LABELS.get(".".join(parts[start:]))
        if found:
            return found
    return (f"trường {parts[-1]}", parts[-1]) if parts[-1] else ("nội dung yêu cầu", "request body")


def problem_of(path: str, message: str) -> Problem:
    """Return the problem one marshmallow message at ``path`` means."""
    if isinstance(message, Message):
        return Problem(message.code, path, message.vi, str(message))
    label_vi, label_en = _label(path)
    for pattern, code, vi in _BUILT_IN:
        match = pattern.fullmatch(message)
        if match:
            text = vi.format(*match.groups(), label=label_vi, Label=label_vi[:1].upper() + label_vi[1:])
            english = f"missing {label_en}" if code == "MISSING_FIELD" else message
            return Problem(code, path, text, english)
    return Problem("INVALID_VALUE", path, f"{label_vi[:1].upper() + label_vi[1:]} không hợp lệ", message)


def _walk(messages: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
                child = f"{path}[{key}]"
            elif key == "_schema":
                child = path
            else:
                child = f"{path}.{key}" if path else str(key)
            yield from _walk(value, child)
    elif isinstance(messages, list | tuple):
        for item in messages:
            yield from _walk(item, path)
    else:
        yield path, messages


def problems_of(messages: Any, prefix: str = "") -> tuple[Problem, ...]:
    """Turn marshmallow's error messages into problems, every path under ``prefix`` (e.g. ``request``)."""
    return tuple(problem_of(path, m if isinstance(m, str) else str(m)) for path, m in _walk(messages, prefix))

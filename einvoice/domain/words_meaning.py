"""What an amount in words (số tiền bằng chữ) says, whoever wrote it: the number and the currency it names.

We write amounts one way (:mod:`einvoice.domain.words`); other providers write the same amount in other words that
the authority accepts: "ngàn" for "nghìn", "lẻ" for "linh", "tỉ" for "tỷ", a closing "chẵn" or "./.", any letter case,
or a redundant "không trăm" ("năm trăm ngàn không trăm đồng"). :func:`meaning` reads such text back into
``(amount, currency name)``; two texts mean the same when they read back equal. A text naming another unit ("VND"
where words say "đồng") does not mean the amount in đồng: it reads back with that other unit, or not at all.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from einvoice.domain.words import CURRENCIES

_DIGITS = {
    "không": 0,
    "một": 1,
    "mốt": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "tư": 4,
    "năm": 5,
    "lăm": 5,
    "nhăm": 5,
    "sáu": 6,
    "bảy": 7,
    "bẩy": 7,
    "tám": 8,
    "chín": 9,
}
_SCALES = {"nghìn": 1000, "ngàn": 1000, "triệu": 10**6, "tỷ": 10**9, "tỉ": 10**9}
_FILLERS = {"linh", "lẻ"}
_ENDINGS = re.compile(r"(?:\s*(?:\./\.|[.,;]|chẵn|chẳn))+\s*\Z")


def _tokens(text: str) -> list[str]:
    folded = unicodedata.normalize("NFC", " ".join(text.split())).lower()
    return _ENDINGS.sub("", folded).replace(",", " ").split()


def number_of(words: list[str]) -> int | None:
    """Return the whole number that Vietnamese number words say, or None when they are not a number."""
    stack: list[tuple[int, int]] = []  # (value, scale) of the groups already closed by a scale word
    group, digit = 0, None
    for word in words:
        if word in _DIGITS:
            if digit is not None:
                return None
            digit = _DIGITS[word]
        elif word == "trăm":
            group, digit = group + (digit or 0) * 100, None
        elif word == "mươi":
            if digit is None:
                return None
            group, digit = group + digit * 10, None
        elif word == "mười":
            group += 10
        elif word in _FILLERS:
            continue
        elif word in _SCALES:
            scale, value = _SCALES[word], group + (digit or 0)
            while stack and stack[-1][1] < scale:
                value += stack.pop()[0]
            stack.append((value * scale, scale))
            group, digit = 0, None
        else:
            return None
    return group + (digit or 0) + sum(value for value, _ in stack)


def _unit_words(*, minor: bool) -> list[tuple[list[str], str]]:
    units = {u.minor_unit if minor else u.name for u in CURRENCIES.values()} - {None}
    return sorted(((str(name).lower().split(), str(name)) for name in units), key=lambda item: -len(item[0]))


def _split_unit(tokens: list[str], *, minor: bool = False) -> tuple[list[str], str] | None:
    for words, name in _unit_words(minor=minor):
        if tokens[-len(words) :] == words:
            return tokens[: -len(words)], name
    return None


def meaning(text: str) -> tuple[Decimal, str] | None:
    """Return (amount, currency name in words) that ``text`` states, or None when it cannot be read."""
    tokens = _tokens(text)
    sign = 1
    if tokens[:1] == ["âm"]:
        sign, tokens = -1, tokens[1:]
    whole_part, _, minor_part = " ".join(tokens).partition(" và ")
    whole = _split_unit(whole_part.split()) if whole_part else None
    if whole is None:
        return None
    whole_number = number_of(whole[0])
    if whole_number is None or not whole[0]:
        return None
    amount = Decimal(whole_number)
    if minor_part:
        minor = _split_unit(minor_part.split(), minor=True)
        minor_number = number_of(minor[0]) if minor else None
        if minor_number is None or minor_number >= 100:
            return None
        amount += Decimal(minor_number) / 100
    return sign * amount, whole[1]


def same_meaning(stated: str, expected: str) -> bool:
    """Whether two amounts in words say the same amount in the same currency."""
    read = meaning(stated)
    return read is not None and read == meaning(expected)

"""The search form of a name: what a cashier types without accents finds the name written with them.

``Trần Thị Bích`` and ``tran thi  BICH`` both become ``tran thi bich``: decomposed (NFD), combining marks dropped,
đ/Đ read as d, case folded, whitespace collapsed. Stored beside the name when a document is issued, so that search
compares plain ASCII-like text on SQLite and PostgreSQL alike (their ``lower()`` does not fold Vietnamese letters
the same way, and neither removes accents).
"""

from __future__ import annotations

import unicodedata

_D = str.maketrans({"đ": "d", "Đ": "d"})


def search_key(text: str | None) -> str | None:
    """Return the accent- and case-free form of ``text`` (``None`` stays ``None``)."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFD", text.translate(_D))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())

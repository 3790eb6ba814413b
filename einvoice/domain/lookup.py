"""Lookup codes (mã tra cứu): 12 Crockford base32 characters, 60 random bits (choice 10).

Shown in groups of four (``7K2P-9QAX-M4TD``); read back forgivingly: case, spaces and dashes are ignored, and the
letters Crockford declares ambiguous (I, L, O) read as the digits they look like.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})


def new_lookup_code() -> str:
    """Return a fresh lookup code from the operating system's CSPRNG."""
    value = secrets.randbits(5 * LENGTH)
    chars = []
    for _ in range(LENGTH):
        value, digit = divmod(value, 32)
        chars.append(ALPHABET[digit])
    return "".join(chars)


def normalize_lookup_code(text: str) -> str | None:
    """Return the canonical form of a typed lookup code, or ``None`` if it cannot be one."""
    code = "".join(text.split()).replace("-", "").upper().translate(_READ_AS)
    if len(code) != LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def format_lookup_code(code: str) -> str:
    """Return ``code`` in groups of four separated by dashes, as printed."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))

"""Text that reaches XML, search or PDF: NFC-normalised, trimmed."""

from __future__ import annotations

import unicodedata


def clean(text: str) -> str:
    """Return ``text`` NFC-normalised with outer whitespace removed and inner runs of whitespace folded."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def clean_optional(text: str | None) -> str | None:
    """Like :func:`clean`, but ``None`` and blank text become ``None``."""
    if text is None:
        return None
    cleaned = clean(text)
    return cleaned or None

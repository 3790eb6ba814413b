"""Text that reaches XML, search or PDF: NFC-normalised, trimmed."""

from __future__ import annotations

import re
import unicodedata

#: Characters XML 1.0 cannot carry (and so no document can).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_compatible(text: str) -> bool:
    """Tell whether ``text`` holds only characters an XML 1.0 document can carry."""
    return _NOT_XML.search(text) is None


def clean(text: str) -> str:
    """Return ``text`` NFC-normalised with outer whitespace removed and inner runs of whitespace folded."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def clean_optional(text: str | None) -> str | None:
    """Like :func:`clean`, but ``None`` and blank text become ``None``."""
    if text is None:
        return None
    cleaned = clean(text)
    return cleaned or None

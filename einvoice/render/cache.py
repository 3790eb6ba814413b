"""A file cache of rendered PDFs, keyed by what makes a printout: the document and how it is printed.

The key is the SHA-256 of the signed XML with the layout, the template version, the copy/converted marks and the
replacing document a reprint names, so a
new template version renders anew and an old one keeps serving the bytes it served before. Writes go to a temporary
file renamed into place, so a reader never sees half a PDF and two workers rendering the same key do no harm. The
cache holds nothing that cannot be rendered again: deleting the folder is always safe.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from einvoice.domain.documents import RelatedDocument
from einvoice.render.context import Conversion, Layout


def cache_key(
    xml: bytes,
    *,
    layout: Layout,
    template_version: str,
    copy: bool,
    converted: Conversion | None,
    replaced_by: RelatedDocument | None = None,
) -> str:
    """Return the hex key of one rendering of ``xml`` (a reprint that names its replacement is another rendering)."""
    conversion = "" if converted is None else f"{converted.converted_by}\x1f{converted.converted_at.isoformat()}"
    replacement = "" if replaced_by is None else f"{replaced_by.template}/{replaced_by.series}/{replaced_by.number}"
    parts: tuple[str, ...] = (hashlib.sha256(xml).hexdigest(), layout, template_version, "copy" if copy else "")
    parts += (conversion, replacement) if replacement else (conversion,)
    return hashlib.sha256("\x1e".join(parts).encode("utf-8")).hexdigest()


class PdfCache:
    """Rendered PDFs stored as ``<root>/<first two hex digits>/<key>.pdf``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.pdf"

    def get(self, key: str) -> bytes | None:
        """Return the PDF stored under ``key``, or ``None`` when it is not there or cannot be read."""
        try:
            return self._path(key).read_bytes()
        except OSError:  # missing, or a broken cache folder: either way, render again
            return None

    def put(self, key: str, pdf: bytes) -> None:
        """Store ``pdf`` under ``key`` atomically."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pdf")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(pdf)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

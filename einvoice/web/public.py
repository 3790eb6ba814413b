"""The public lookup pages (tra cứu): anyone holding a printed document checks it, and anyone can check an XML file.

Routes: ``/tra-cuu`` (the form; ``?ma=`` looks a code up), ``/tra-cuu/<code>`` (what the printed QR opens: the
document's summary, fees and amounts, its standing with the tax authority, and whether it is intact, checked on the
spot), ``/tra-cuu/<code>/pdf`` (shown in the browser; ``?tai-ve=1`` downloads it) and ``/xml`` (download), and
``/tra-cuu/kiem-tra`` (upload any e-invoice XML and read its verdict in plain Vietnamese:
:mod:`einvoice.web.public_check`). Once the authority has coded an invoice, its coded XML (answer 202, with ``MCCQT``
and the authority's signature) is the document of record of the page, the PDF and the download.

Safe in public: codes carry 60 random bits; a mistyped code and an unknown one are told apart (the format is public
knowledge) but nothing else depends on the code; every client address has a token bucket shared by all workers
(:mod:`einvoice.web.ratelimit`) and is answered 429 with ``Retry-After`` once it is empty; the pages show only what
the printed document shows, the payer's name partly masked; assets are our own CSS (no script, no third party). The
app adds the security headers to every answer. Behind a reverse proxy, deploy with werkzeug's ``ProxyFix`` so that
``remote_addr`` is the client's, or every client shares one bucket.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import Response, current_app, render_template, request

from einvoice.domain.lifecycle import Transmission
from einvoice.domain.lookup import format_lookup_code, normalize_lookup_code
from einvoice.kinds import row_of
from einvoice.render.errors import RenderError
from einvoice.render.pdf import TEMPLATE_VERSION, render_document_pdf, render_settings
from einvoice.render.signature import authority_code
from einvoice.services.authority import refusal_reasons
from einvoice.services.history import replacement_of
from einvoice.services.queries import StoredDocument, find_by_lookup_code
from einvoice.web import public_check  # noqa: F401 -- registers the check page on ``bp``
from einvoice.web.public_blueprint import bp as bp  # the app registers it from here
from einvoice.web.public_view import authority_status, integrity, signature_view, summary
from einvoice.web.runtime import runtime, settings_of
from einvoice.web.trust import verify_record
from einvoice.xmldoc.parse import load_root, parse_document


class PageCache:
    """Rendered document pages, keyed by the SHA-256 of the stored bytes (and state, code, trust settings).

    Verifying costs about half of a page view. Byte-identical XML always gets the same verdict (the verifier judges
    the certificate at the signing time, not now), so a page is reused for the same bytes for ``ttl`` seconds;
    bytes altered in storage hash differently and are verified anew. The ``ttl`` bounds how long a change of the
    trust store takes to show.
    """

    def __init__(self, size: int = 4096, ttl: float = 600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._pages: OrderedDict[Hashable, tuple[float, str]] = OrderedDict()
        self._size, self._ttl, self._clock = size, ttl, clock
        self._lock = threading.Lock()

    def get_or_make(self, key: Hashable, make: Callable[[], str]) -> str:
        """Return the page cached under ``key``, or make, cache and return it."""
        now = self._clock()
        with self._lock:
            found = self._pages.get(key)
            if found is not None and found[0] > now:
                self._pages.move_to_end(key)
                return found[1]
        page = make()
        with self._lock:
            self._pages[key] = (now + self._ttl, page)
            while len(self._pages) > self._size:
                self._pages.popitem(last=False)
        return page


class Miss(Exception):
    """A typed code that finds nothing: ``why`` is ``"format"`` (it cannot be a code) or ``"unknown"``."""

    def __init__(self, typed: str, why: str) -> None:
        super().__init__(why)
        self.typed, self.why = typed, why


def _found(typed: str) -> tuple[str, StoredDocument]:
    """Return the canonical code and the stored document, or raise :class:`Miss`."""
    code = normalize_lookup_code(typed)
    if code is None:
        raise Miss(typed, "format")
    stored = find_by_lookup_code(runtime().engine, code)
    if stored is None:
        raise Miss(typed, "unknown")
    return code, stored


@bp.errorhandler(Miss)
def _not_found(miss: Miss) -> tuple[str, int]:
    """Say whether the code typed cannot be a code (400) or is unknown (404), with what was typed kept in the form.

    The format of a code is public knowledge, so telling a typing slip from an unknown code reveals nothing.
    """
    status = 400 if miss.why == "format" else 404
    return render_template("public/not_found.html", typed=miss.typed[:40], why=miss.why), status


@bp.get("/tra-cuu")
def lookup_form() -> str | tuple[str, int]:
    """Show the lookup form, or look up the code typed in it (``?ma=``)."""
    typed = request.args.get("ma")
    return render_template("public/lookup.html") if typed is None else document_page(typed)


_pages = PageCache()


@bp.get("/tra-cuu/<code>")
def document_page(code: str) -> str:
    """Show a document's summary, its standing with the tax authority, and whether it is intact (checked on first
    view of these bytes)."""
    canonical, stored = _found(code)
    settings = settings_of()
    digest = hashlib.sha256(stored.record).digest()
    key = (digest, stored.record_sha256, stored.state, stored.transmission, stored.message_state, canonical)
    return _pages.get_or_make((*key, settings.trust_dir, settings.env), lambda: _document_html(canonical, stored))


def _document_html(canonical: str, stored: StoredDocument) -> str:
    record = stored.record  # the coded invoice once the authority coded it: both signatures are checked
    report = verify_record(record)
    hashes_match = hashlib.sha256(record).hexdigest() == stored.record_sha256
    doc = summary(parse_document(record), stored.state)
    code = authority_code(load_root(record))
    rejected = stored.transmission == Transmission.REJECTED
    reasons = refusal_reasons(runtime().engine, stored.id) if rejected else ()
    return render_template(
        "public/document.html",
        code=format_lookup_code(canonical),
        doc=doc,
        integrity=integrity(report, hashes_match=hashes_match, coded=stored.coded is not None),
        authority=authority_status(stored, authority_code=code, reasons=reasons, day=doc["date"]),
        coded=stored.coded is not None,
        signatures=[signature_view(s) for s in report.signatures],
        authority_code=code,
    )


@bp.get("/tra-cuu/<code>/xml")
def document_xml(code: str) -> Response:
    """Download the document of record: the coded invoice once coded, else the signed XML exactly as issued."""
    canonical, stored = _found(code)
    return _file(stored.record, "application/xml", f"{format_lookup_code(canonical)}.xml", inline=False)


@bp.get("/tra-cuu/<code>/pdf")
def document_pdf(code: str) -> Response | tuple[str, int]:
    """Show the PDF printed from the document of record in the browser (``?tai-ve=1``: download it); cached."""
    canonical, stored = _found(code)
    layout = row_of(stored.kind).default_layout
    replaced_by = replacement_of(runtime().engine, canonical) if stored.state == "replaced" else None
    try:
        pdf = render_document_pdf(
            stored.record,
            layout=layout,
            replaced_by=replaced_by,
            template_version=settings_of().template_version or TEMPLATE_VERSION,
            settings=render_settings(settings_of()),
        )
    except RenderError:
        current_app.logger.exception("PDF of %s could not be rendered", canonical)
        return render_template("public/pdf_unavailable.html", code=format_lookup_code(canonical)), 503
    inline = request.args.get("tai-ve") is None
    return _file(pdf, "application/pdf", f"{format_lookup_code(canonical)}.pdf", inline=inline)


def _file(data: bytes, mimetype: str, filename: str, *, inline: bool) -> Response:
    disposition = "inline" if inline else "attachment"
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'{disposition}; filename="{filename}"'})

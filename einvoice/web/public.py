"""The public lookup pages (tra cứu): anyone holding a printed document checks it, and anyone can check an XML file.

Routes: ``/tra-cuu`` (the form; ``?ma=`` looks a code up), ``/tra-cuu/<code>`` (what the printed QR opens: the
document's summary and its signatures verified on the spot), ``/tra-cuu/<code>/pdf`` and ``/xml`` (downloads), and
``/tra-cuu/kiem-tra`` (upload any e-invoice XML and read its verification report in plain Vietnamese).

Safe in public: codes carry 60 random bits; a malformed code and a well-formed unknown one get the same 404 with the
same body; every client address has a token bucket (``PUBLIC_RATE_PER_MINUTE``, ``PUBLIC_RATE_BURST``) and is
answered 429 with ``Retry-After`` once it is empty; the pages show only what the printed document shows; assets are
our own CSS (no script, no third party). The app adds the security headers to every answer. Behind a reverse proxy,
deploy with werkzeug's ``ProxyFix`` so that ``remote_addr`` is the client's, or every client shares one bucket.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, cast

from flask import Blueprint, Flask, Response, current_app, render_template, request
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import RequestEntityTooLarge

from einvoice.domain.documents import Document
from einvoice.domain.errors import EInvoiceError, Problem
from einvoice.domain.lifecycle import STANDING_WORDS
from einvoice.domain.lookup import format_lookup_code, normalize_lookup_code
from einvoice.kinds import row_of
from einvoice.render.context import format_date, format_datetime, format_number
from einvoice.render.errors import RenderError
from einvoice.render.pdf import TEMPLATE_VERSION, render_document_pdf, render_settings
from einvoice.render.signature import authority_code
from einvoice.resources import templates_dir
from einvoice.services.history import replacement_of
from einvoice.services.queries import StoredDocument, find_by_lookup_code
from einvoice.settings import megabytes
from einvoice.signing.certificates import common_name
from einvoice.web.runtime import runtime, settings_of
from einvoice.web.trust import verify_as_configured
from einvoice.xmldoc.dsig import VIETNAM_TIME
from einvoice.xmldoc.parse import load_root, parse_document
from einvoice.xmldoc.safe import MAX_XML_BYTES
from einvoice.xmldoc.validate import validate_document
from einvoice.xmldoc.verdicts import SignatureReport

bp = Blueprint(
    "public",
    __name__,
    template_folder=str(templates_dir()),
    static_folder="static",
    static_url_path="/static/tra-cuu",
)
_LIMITER = "einvoice.public.limiter"

STATES: dict[str, str] = {str(standing): words for standing, words in STANDING_WORDS.items()}
ROLES = {"NBan": "Người bán", "DVThu": "Đơn vị thu", "NMua": "Người mua", "CQT": "Cơ quan thuế"}


class RateLimiter:
    """Token buckets per client: ``burst`` requests at once, refilled at ``per_minute``; thread-safe, in process."""

    def __init__(
        self, per_minute: float, burst: int, *, clock: Callable[[], float] = time.monotonic, max_clients: int = 50_000
    ) -> None:
        self.rate = per_minute / 60
        self.burst = burst
        self._clock = clock
        self._max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait(self, client: str) -> float:
        """Take a token for ``client``; return 0 if it had one, else the seconds until it will."""
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if len(self._buckets) >= self._max_clients and client not in self._buckets:
                self._forget_full(now)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                return 0.0
            self._buckets[client] = (tokens, now)
            return (1 - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        """Drop the clients whose bucket has refilled: forgetting them changes nothing."""
        self._buckets = {
            client: (tokens, last)
            for client, (tokens, last) in self._buckets.items()
            if tokens + (now - last) * self.rate < self.burst
        }


@bp.record_once
def _install_limiter(state: BlueprintSetupState) -> None:
    settings = settings_of(cast(Flask, state.app))
    state.app.extensions[_LIMITER] = RateLimiter(settings.public_rate_per_minute, settings.public_rate_burst)


@bp.before_request
def _rate_limit() -> Response | None:
    if request.endpoint == "public.static":
        return None
    limiter: RateLimiter = current_app.extensions[_LIMITER]
    wait = limiter.wait(request.remote_addr or "unknown")
    if not wait:
        return None
    seconds = max(1, math.ceil(wait))
    body = render_template("public/rate_limited.html", seconds=seconds)
    return Response(body, 429, {"Retry-After": str(seconds)}, mimetype="text/html")


def _found(typed: str) -> tuple[str, StoredDocument] | None:
    code = normalize_lookup_code(typed)
    if code is None:
        return None
    stored = find_by_lookup_code(runtime().engine, code)
    return None if stored is None else (code, stored)


def _not_found() -> tuple[str, int]:
    """The one answer to a code that is malformed or unknown: nothing in it depends on the code."""
    return render_template("public/not_found.html"), 404


def signature_view(report: SignatureReport) -> dict[str, Any]:
    """Return what the pages say about one signature, in Vietnamese."""
    return {
        "role": ROLES.get(report.role, report.role),
        "valid": report.valid,
        "accepted": report.accepted,
        "trusted": report.trusted,
        "signer": common_name(report.certificate) if report.certificate is not None else None,
        "tax_code": report.tax_code,
        "signing_time": format_datetime(report.signing_time.astimezone(VIETNAM_TIME) if report.signing_time else None),
        "authority_code": report.signed_code,
        "problems": [p.message_vi for p in (*report.problems, *report.certificate_problems)],
        "warnings": [p.message_vi for p in report.warnings],
    }


def summary(document: Document, state: str | None = None) -> dict[str, str]:
    """Return the document's summary as printed: title, issuer, identity, date, total, state."""
    issuer, total = document.issuer, document.total_payable
    return {
        "title": document.title,
        "issuer": issuer.name,
        "tax_code": issuer.tax_code,
        "template": document.template,
        "series": document.series,
        "number": "" if document.number is None else str(document.number),
        "date": format_date(document.issue_date),
        "total": f"{format_number(total)} {document.currency}",
        "state": STATES.get(state, state) if state else "",
    }


@bp.get("/tra-cuu")
def lookup_form() -> str | tuple[str, int]:
    """Show the lookup form, or look up the code typed in it (``?ma=``)."""
    typed = request.args.get("ma")
    return render_template("public/lookup.html") if typed is None else document_page(typed)


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


_pages = PageCache()


@bp.get("/tra-cuu/<code>")
def document_page(code: str) -> str | tuple[str, int]:
    """Show a document's summary and its signatures, verified on first view of these exact bytes."""
    found = _found(code)
    if found is None:
        return _not_found()
    canonical, stored = found
    settings = settings_of()
    key = (hashlib.sha256(stored.xml).digest(), stored.state, canonical, settings.trust_dir, settings.env)
    return _pages.get_or_make(key, lambda: _document_html(canonical, stored))


def _document_html(canonical: str, stored: StoredDocument) -> str:
    report = verify_as_configured(stored.xml)
    return render_template(
        "public/document.html",
        code=format_lookup_code(canonical),
        doc=summary(parse_document(stored.xml), stored.state),
        report=report,
        signatures=[signature_view(s) for s in report.signatures],
        problems=[p.message_vi for p in report.problems],
        authority_code=authority_code(load_root(stored.xml)),
    )


@bp.get("/tra-cuu/<code>/xml")
def document_xml(code: str) -> Response | tuple[str, int]:
    """Download the signed XML exactly as issued."""
    found = _found(code)
    if found is None:
        return _not_found()
    canonical, stored = found
    return _attachment(stored.xml, "application/xml", f"{format_lookup_code(canonical)}.xml")


@bp.get("/tra-cuu/<code>/pdf")
def document_pdf(code: str) -> Response | tuple[str, int]:
    """Download the PDF printed from the signed XML (rendered on first request, then cached)."""
    found = _found(code)
    if found is None:
        return _not_found()
    canonical, stored = found
    layout = row_of(stored.kind).default_layout
    replaced_by = replacement_of(runtime().engine, canonical) if stored.state == "replaced" else None
    try:
        pdf = render_document_pdf(
            stored.xml,
            layout=layout,
            replaced_by=replaced_by,
            template_version=settings_of().template_version or TEMPLATE_VERSION,
            settings=render_settings(settings_of()),
        )
    except RenderError:
        current_app.logger.exception("PDF of %s could not be rendered", canonical)
        return render_template("public/pdf_unavailable.html", code=format_lookup_code(canonical)), 503
    return _attachment(pdf, "application/pdf", f"{format_lookup_code(canonical)}.pdf")


def _attachment(data: bytes, mimetype: str, filename: str) -> Response:
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/tra-cuu/kiem-tra", methods=["GET", "POST"])
def check_upload() -> str | tuple[str, int]:
    """Show the upload form, or the verification report of the uploaded XML: signatures, XSD, business rules."""
    if request.method == "GET":
        return render_template("public/check.html", result=None)
    upload = request.files.get("tep")
    if upload is None or not upload.filename:
        return render_template("public/check.html", result=None, error="Vui lòng chọn một tệp XML."), 400
    xml = upload.stream.read(MAX_XML_BYTES + 1)
    return render_template("public/check.html", result=check_report(xml), filename=upload.filename)


@bp.errorhandler(RequestEntityTooLarge)
def _upload_too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    """Answer an upload over the size limit with the form and a plain reason, not the API's JSON error."""
    return render_template(
        "public/check.html", result=None, error=f"Tệp quá lớn: tối đa {megabytes(settings_of().max_upload_bytes)} MB."
    ), 413


def check_report(xml: bytes) -> dict[str, Any]:
    """Return the plain-language report of an uploaded document: verdict, signatures, content problems."""
    report = verify_as_configured(xml)
    content: list[Problem] = validate_document(xml)
    try:
        document: Document | None = parse_document(xml)
    except EInvoiceError:  # an unreadable upload has no summary; its problems say why
        document = None
    return {
        "valid": report.valid and not content,
        "signed_ok": report.valid,
        "signatures": [signature_view(s) for s in report.signatures],
        "signature_problems": [p.message_vi for p in report.problems],
        "content_problems": [{"path": p.path, "message": p.message_vi} for p in content],
        "doc": summary(document) if document is not None else None,
    }

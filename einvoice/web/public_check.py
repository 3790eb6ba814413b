"""The public check page (``/tra-cuu/kiem-tra``): upload any e-invoice or e-receipt XML, read one verdict.

The verdict has three outcomes (:func:`einvoice.xmldoc.verdicts.verdict_of`): green "Hợp lệ" only when the document
is intact, conforming and signed by a confirmed signer; amber "Chưa xác thực được người ký" when intact but the
signer cannot be confirmed; red otherwise, with the reasons in plain words and the technical detail folded away.
A document that names one we issued is compared with it, whatever its signature says.

Bounded, so that checking files never starves issuing: an upload over ``PUBLIC_UPLOAD_MAX_BYTES`` (default 512 KiB,
or ``MAX_UPLOAD_BYTES`` if lower; real invoices are a few KB to a few hundred KB) is refused from its
``Content-Length`` before a byte of it is read; a check runs only in a free slot of :mod:`einvoice.web.checkslots`
(one per client address, ``PUBLIC_CHECK_CONCURRENCY`` per service), without one the answer comes at once, with
``Retry-After``; and the check itself runs in the app's check process at a low CPU priority
(:mod:`einvoice.services.check_process`), never in the worker, which waits for it without using the CPU. A check
that gives no verdict within ``PUBLIC_CHECK_TIMEOUT_SECONDS`` is answered 503 with ``Retry-After`` too.
"""

from __future__ import annotations

from flask import Response, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from einvoice.services.check_process import CheckUnavailable
from einvoice.settings import megabytes
from einvoice.web.checkslots import NoSlot, configured_slots
from einvoice.web.public_blueprint import bp
from einvoice.web.public_view import signature_view, summary, verdict_view
from einvoice.web.runtime import settings_of
from einvoice.web.trust import check_as_configured

#: Room for the multipart envelope around the file, when a request is judged by its length before it is read.
_ENVELOPE = 16 * 1024
_NO_SLOT = {
    "busy": (503, "Hệ thống đang kiểm tra các tệp khác. Vui lòng thử lại sau vài giây."),
    "address": (429, "Bạn đang có một tệp khác đang được kiểm tra. Vui lòng chờ kết quả rồi thử lại."),
}
#: Seconds a client is asked to wait when no slot is free, and when a check gave no verdict in time.
_RETRY_SOON, _RETRY_LATER = 5, 30


def _max_bytes() -> int:
    settings = settings_of()
    return min(settings.max_upload_bytes, settings.public_upload_max_bytes)


def _size() -> str:
    return f"{megabytes(_max_bytes())} MB"


def _form(status: int, error: str | None = None, **result: object) -> Response:
    """Render the page: the form, an error beside it, or ``result`` and ``filename`` of a check."""
    page = render_template("public/check.html", error=error, max_size=_size(), **{"result": None, **result})
    return Response(page, status, mimetype="text/html")


@bp.route("/tra-cuu/kiem-tra", methods=["GET", "POST"])
def check_upload() -> Response:
    """Show the upload form, or the verdict on the uploaded XML with what was checked."""
    if request.method == "GET":
        return _form(200)
    if (request.content_length or 0) > _max_bytes() + _ENVELOPE:
        return _too_large()
    try:
        with configured_slots().taken(request.remote_addr or "unknown"):
            return _checked()
    except NoSlot as refused:
        return _retry(*_NO_SLOT[refused.why], _RETRY_SOON)


def _retry(status: int, message: str, seconds: int) -> Response:
    """Show the form again with ``message``, asking the client to come back in ``seconds``."""
    answer = _form(status, message)
    answer.headers["Retry-After"] = str(seconds)
    return answer


def _checked() -> Response:
    """Read the upload (refusing it past the limit) and show its verdict."""
    upload = request.files.get("tep")
    if upload is None or not upload.filename:
        return _form(400, "Vui lòng chọn một tệp XML.")
    xml = upload.stream.read(_max_bytes() + 1)
    if len(xml) > _max_bytes():
        return _too_large()
    try:
        check = check_as_configured(xml)
    except CheckUnavailable:  # logged by check_as_configured
        message = (
            f"Hệ thống đang bận nên chưa kiểm tra xong tệp {upload.filename}. "
            "Vui lòng chọn lại tệp và thử lại sau ít phút."
        )
        return _retry(503, message, _RETRY_LATER)
    result = {
        "verdict": verdict_view(check.verdict),
        "doc": summary(check.document) if check.document is not None else None,
        "signatures": [signature_view(s) for s in check.report.signatures],
        "technical": [p.message_vi for p in check.report.problems]
        + [f"{p.message_vi} ({p.path})" if p.path else p.message_vi for p in check.content],
    }
    return _form(200, result=result, filename=upload.filename)


def _too_large() -> Response:
    return _form(413, f"Tệp quá lớn: tối đa {_size()}. Tệp hóa đơn, biên lai điện tử thường chỉ vài chục KB.")


@bp.errorhandler(RequestEntityTooLarge)
def _upload_too_large(error: RequestEntityTooLarge) -> Response:
    """Answer an upload over the app's limit with the form and a plain reason, not the API's JSON error."""
    return _too_large()

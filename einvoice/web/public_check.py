"""The public check page (``/tra-cuu/kiem-tra``): upload any e-invoice or e-receipt XML, read one verdict.

The verdict has three outcomes (:func:`einvoice.xmldoc.verdicts.verdict_of`): green "Hợp lệ" only when the document
is intact, conforming and signed by a confirmed signer; amber "Chưa xác thực được người ký" when intact but the
signer cannot be confirmed; red otherwise, with the reasons in plain words and the technical detail folded away.
A document that names one we issued is compared with it, whatever its signature says.
"""

from __future__ import annotations

from flask import render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from einvoice.web.public import bp
from einvoice.web.public_view import signature_view, summary, verdict_view
from einvoice.web.trust import check_as_configured
from einvoice.xmldoc.safe import MAX_XML_BYTES


@bp.route("/tra-cuu/kiem-tra", methods=["GET", "POST"])
def check_upload() -> str | tuple[str, int]:
    """Show the upload form, or the verdict on the uploaded XML with what was checked."""
    if request.method == "GET":
        return render_template("public/check.html", result=None)
    upload = request.files.get("tep")
    if upload is None or not upload.filename:
        return render_template("public/check.html", result=None, error="Vui lòng chọn một tệp XML."), 400
    check = check_as_configured(upload.stream.read(MAX_XML_BYTES + 1))
    result = {
        "verdict": verdict_view(check.verdict),
        "doc": summary(check.document) if check.document is not None else None,
        "signatures": [signature_view(s) for s in check.report.signatures],
        "technical": [p.message_vi for p in check.report.problems]
        + [f"{p.message_vi} ({p.path})" if p.path else p.message_vi for p in check.content],
    }
    return render_template("public/check.html", result=result, filename=upload.filename)


@bp.errorhandler(RequestEntityTooLarge)
def _upload_too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    """Answer an upload over the size limit with the form and a plain reason, not the API's JSON error."""
    return render_template("public/check.html", result=None, error="Tệp quá lớn: tối đa 5 MB."), 413

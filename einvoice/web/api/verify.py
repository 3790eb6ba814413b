# mypy: disable-error-code="untyped-decorator"
# flask-smorest ships no type information, so each of its decorators would count as untyped.
"""Verify an uploaded XML document: its signatures, its content, how it compares with what we issued, one verdict.

``verdict.outcome`` is what to act on: ``valid`` (intact, conforming, signed by a confirmed signer), ``unconfirmed``
(intact, but a signer cannot be confirmed) or ``invalid``; ``verdict.reasons`` say why, in both languages.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from marshmallow import Schema, fields

from einvoice.domain.errors import Problem
from einvoice.domain.roles import STAFF
from einvoice.services.check_process import CheckUnavailable
from einvoice.web.api.base import PREFIX, Blueprint
from einvoice.web.api.schemas import ProblemOut
from einvoice.web.auth import roles
from einvoice.web.checkslots import NoSlot, configured_slots
from einvoice.web.errors import error_response
from einvoice.web.trust import check_as_configured
from einvoice.xmldoc.safe import MAX_XML_BYTES
from einvoice.xmldoc.verdicts import SignatureReport

blp = Blueprint("verify", __name__, url_prefix=PREFIX, description="Verify a document someone sent you")


class SignatureOut(Schema):
    """The verdict on one signature."""

    role = fields.String()
    valid = fields.Boolean()
    accepted = fields.Boolean()
    subject = fields.String(allow_none=True)
    tax_code = fields.String(allow_none=True)
    signing_time = fields.DateTime(allow_none=True)
    certificate_valid_at_signing_time = fields.Boolean(allow_none=True)
    trusted = fields.Boolean(allow_none=True)
    problems = fields.List(fields.Nested(ProblemOut))
    certificate_problems = fields.List(fields.Nested(ProblemOut))
    warnings = fields.List(fields.Nested(ProblemOut))


class ProvenanceOut(Schema):
    """Whether this service issued the document the upload names, and how the upload compares with it."""

    issued = fields.Boolean(allow_none=True)
    identical = fields.Boolean()
    differences = fields.List(fields.String())


class VerdictOut(Schema):
    """One headline of three outcomes, and why."""

    outcome = fields.String()
    headline_vi = fields.String()
    headline_en = fields.String()
    reasons = fields.List(fields.Nested(ProblemOut))
    provenance = fields.Nested(ProvenanceOut)


class VerificationOut(Schema):
    """Verdict, signatures and content problems of an uploaded document."""

    verdict = fields.Nested(VerdictOut)
    kind = fields.String(allow_none=True)
    valid = fields.Boolean()
    accepted = fields.Boolean()
    signatures = fields.List(fields.Nested(SignatureOut))
    signature_problems = fields.List(fields.Nested(ProblemOut))
    warnings = fields.List(fields.Nested(ProblemOut))
    problems = fields.List(fields.Nested(ProblemOut))


def _problems(items: tuple[Problem, ...] | list[Problem]) -> list[dict[str, str]]:
    return [p.as_dict() for p in items]


def _signature(report: SignatureReport) -> dict[str, Any]:
    return {
        "role": report.role,
        "valid": report.valid,
        "accepted": report.accepted,
        "subject": report.subject,
        "tax_code": report.tax_code,
        "signing_time": report.signing_time,
        "certificate_valid_at_signing_time": report.certificate_valid_at_signing_time,
        "trusted": report.trusted,
        "problems": _problems(report.problems),
        "certificate_problems": _problems(report.certificate_problems),
        "warnings": _problems(report.warnings),
    }


def _busy(code: str, vietnamese: str, english: str, seconds: int) -> Response:
    answer = error_response(503, code.lower(), english, (Problem(code, "", vietnamese, english),))
    answer.headers["Retry-After"] = str(seconds)
    return answer


@blp.route("/verify", methods=["POST"])
@blp.doc(
    requestBody={"required": True, "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}}}
)
@blp.response(200, VerificationOut)
@roles(*STAFF)
def verify_upload() -> dict[str, Any] | Response:
    """Check an uploaded XML invoice or receipt: the verdict, every signature, and every content problem.

    Checks share the service's check slots with the public page (:mod:`einvoice.web.checkslots`): when all are
    taken the answer is 503 with ``Retry-After`` at once, so that checking never holds the workers that issue.
    """
    try:
        with configured_slots().taken(None):
            check = check_as_configured(request.get_data(cache=False)[: MAX_XML_BYTES + 1])
    except NoSlot:
        vietnamese = "Hệ thống đang kiểm tra các tệp khác; vui lòng thử lại sau vài giây."
        return _busy("CHECKS_BUSY", vietnamese, "other documents are being checked; retry in a few seconds", 5)
    except CheckUnavailable:  # timed out, or the check process failed (logged by check_as_configured)
        vietnamese = "Hệ thống đang bận nên chưa kiểm tra xong tệp; vui lòng thử lại sau ít phút."
        return _busy("CHECK_UNFINISHED", vietnamese, "the check did not finish; retry in a minute", 30)
    report, verdict = check.report, check.verdict
    return {
        "verdict": {
            "outcome": verdict.outcome,
            "headline_vi": verdict.headline_vi,
            "headline_en": verdict.headline_en,
            "reasons": _problems(verdict.reasons),
            "provenance": verdict.provenance,
        },
        "kind": report.kind,
        "valid": report.valid,
        "accepted": report.accepted,
        "signatures": [_signature(s) for s in report.signatures],
        "signature_problems": _problems(report.problems),
        "warnings": _problems(report.warnings),
        "problems": _problems(check.content),
    }

# mypy: disable-error-code="untyped-decorator"
# flask-smorest ships no type information, so each of its decorators would count as untyped.
"""Verify an uploaded XML document: its signatures (``verify_document``) and its content (``validate_document``)."""

from __future__ import annotations

from typing import Any

from flask import request
from marshmallow import Schema, fields

from einvoice.domain.errors import Problem
from einvoice.domain.roles import STAFF
from einvoice.web.api.base import PREFIX, Blueprint
from einvoice.web.api.schemas import ProblemOut
from einvoice.web.auth import roles
from einvoice.web.trust import verify_as_configured
from einvoice.xmldoc.safe import MAX_XML_BYTES
from einvoice.xmldoc.validate import validate_document
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


class VerificationOut(Schema):
    """Signatures and content problems of an uploaded document."""

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


@blp.route("/verify", methods=["POST"])
@blp.doc(
    requestBody={"required": True, "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}}}
)
@blp.response(200, VerificationOut)
@roles(*STAFF)
def verify_upload() -> dict[str, Any]:
    """Check an uploaded XML invoice or receipt: every signature, and every content problem."""
    xml = request.get_data(cache=False)[: MAX_XML_BYTES + 1]
    report = verify_as_configured(xml)
    return {
        "kind": report.kind,
        "valid": report.valid,
        "accepted": report.accepted,
        "signatures": [_signature(s) for s in report.signatures],
        "signature_problems": _problems(report.problems),
        "warnings": _problems(report.warnings),
        "problems": _problems(validate_document(xml)),
    }

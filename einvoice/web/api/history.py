"""The shape of a document's history in the API (``GET /documents/{id}``)."""

from __future__ import annotations

from marshmallow import Schema, fields

from einvoice.web.api.schemas import DocumentOut


class RelatedOut(DocumentOut):
    """A document on the other end of a correction."""

    class Meta:
        """Only what identifies the document and how it corrects."""

        fields = ("id", "kind", "template", "series", "number", "issue_date", "correction", "total")


class EventOut(Schema):
    """One change of state: the action, the state after it, who and when, why and by which document."""

    action = fields.String()
    transmission = fields.String()
    standing = fields.String()
    related_id = fields.Integer(allow_none=True)
    notice_id = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    actor = fields.String(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    at = fields.DateTime()


class NoticeOut(Schema):
    """An error notice (04/SS) about the document."""

    id = fields.Integer()
    form = fields.String()
    reason = fields.String()
    created_at = fields.DateTime()


class ReasonOut(Schema):
    """One reason the authority gave (``MLoi``, ``MTLoi`` or ``MTa``, ``HDXLy``), in its own words."""

    code = fields.String()
    text = fields.String()
    fix = fields.String(allow_none=True)


class AuthorityMessageOut(Schema):
    """One message with the tax authority about the document: one we sent, or an answer we received."""

    direction = fields.String(metadata={"description": "sent | received"})
    type = fields.String(metadata={"description": "MLTDiep: 200, 203, 212, 300 sent; 999, 202, 204, 301 received"})
    message_id = fields.String(metadata={"description": "MTDiep"})
    answers = fields.String(allow_none=True, metadata={"description": "MTDTChieu: the message answered"})
    at = fields.DateTime(allow_none=True, metadata={"description": "sent at (none while queued) or received at"})
    outcome = fields.String(
        metadata={
            "description": "sent: pending | sent | done | parked; "
            "received: received | refused (999), coded (202), accepted | rejected (204, 301)"
        }
    )
    reasons = fields.List(fields.Nested(ReasonOut))
    authority_code = fields.String(allow_none=True, metadata={"description": "MCCQT, on a 202"})
    about = fields.String(metadata={"description": "what the message carried: `document` or `notice` (04/SS)"})


class HistoryOut(Schema):
    """Corrections both ways, error notices, messages with the tax authority, and every state change."""

    corrects = fields.Nested(RelatedOut, allow_none=True)
    corrected_by = fields.List(fields.Nested(RelatedOut))
    notices = fields.List(fields.Nested(NoticeOut))
    messages = fields.List(fields.Nested(AuthorityMessageOut))
    events = fields.List(fields.Nested(EventOut))


class DocumentDetailOut(DocumentOut):
    """A document's metadata with its history, and which of its XML is the document of record."""

    authority_code = fields.String(allow_none=True, metadata={"description": "MCCQT, once the authority coded it"})
    record = fields.String(
        metadata={
            "description": "the document of record: `coded` (the authority's coded XML, answer 202) or `issued` "
            "(the seller's signed XML); `xml_url` returns it, `issued_xml_url` always the seller's bytes"
        }
    )
    issued_xml_url = fields.Function(lambda row: f"/api/v1/documents/{row['id']}/xml?version=issued")
    history = fields.Nested(HistoryOut)

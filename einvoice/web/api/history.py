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


class HistoryOut(Schema):
    """Corrections both ways, error notices, and every state change."""

    corrects = fields.Nested(RelatedOut, allow_none=True)
    corrected_by = fields.List(fields.Nested(RelatedOut))
    notices = fields.List(fields.Nested(NoticeOut))
    events = fields.List(fields.Nested(EventOut))


class DocumentDetailOut(DocumentOut):
    """A document's metadata with its history."""

    history = fields.Nested(HistoryOut)

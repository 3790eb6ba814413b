# mypy: disable-error-code="untyped-decorator"
# flask-smorest ships no type information, so each of its decorators would count as untyped.
"""The road to the tax authority as an administrator sees it: messages (parked ones to retry) and webhooks."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import select, update

from einvoice.services import webhooks
from einvoice.services.transmission import retry_parked
from einvoice.storage.engine import writing
from einvoice.storage.schema import outbox_attempts, outbox_messages, webhook_deliveries
from einvoice.storage.schema import webhooks as webhook_table
from einvoice.web.api.base import IDEMPOTENCY_HEADER, PREFIX, Blueprint
from einvoice.web.api.idempotent import idempotent
from einvoice.web.auth import current_actor, roles
from einvoice.web.runtime import runtime

blp = Blueprint("transmission", __name__, url_prefix=PREFIX, description="Messages to the tax authority; webhooks")
_STATES = ("pending", "sent", "done", "parked")


class MessageOut(Schema):
    """A message to the tax authority and where it stands."""

    id = fields.Integer()
    mtdiep = fields.String(metadata={"description": "MTDiep, unique forever"})
    code = fields.String(metadata={"description": "MLTDiep: 200, 203, 300 or 212"})
    state = fields.String(metadata={"description": "pending | sent | done | parked"})
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    next_attempt_at = fields.DateTime()
    created_at = fields.DateTime()
    sent_at = fields.DateTime(allow_none=True)
    done_at = fields.DateTime(allow_none=True)


class AttemptOut(Schema):
    """One attempt to send a message or ask its status."""

    action = fields.String()
    outcome = fields.String()
    detail = fields.String(allow_none=True)
    worker = fields.String()
    at = fields.DateTime()


class MessageDetailOut(MessageOut):
    """A message with every attempt."""

    attempts_log = fields.List(fields.Nested(AttemptOut))


class MessageFilter(Schema):
    """Which messages to list."""

    state = fields.String(validate=validate.OneOf(_STATES))


class WebhookIn(Schema):
    """A URL to push document events to."""

    url = fields.Url(required=True, schemes={"http", "https"}, validate=validate.Length(max=1000))


class WebhookOut(Schema):
    """A registered webhook (the secret is shown once, when it is created)."""

    id = fields.Integer()
    url = fields.String()
    active = fields.Boolean()
    created_at = fields.DateTime()
    secret = fields.String(metadata={"description": "only in the answer that creates the webhook"})


class DeliveryOut(Schema):
    """One event delivery to a webhook."""

    event_id = fields.String()
    state = fields.String(metadata={"description": "pending | delivered | failed"})
    attempts = fields.Integer()
    last_status = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)


@blp.route("/authority-messages")
class Messages(MethodView):
    """Messages to the tax authority."""

    @blp.arguments(MessageFilter, location="query")
    @blp.response(200, MessageOut(many=True))
    @roles("admin")
    def get(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """List messages, newest first (``?state=parked`` for those waiting for a person)."""
        statement = select(outbox_messages).order_by(outbox_messages.c.id.desc()).limit(500)
        if "state" in query:
            statement = statement.where(outbox_messages.c.state == query["state"])
        with runtime().engine.connect() as conn:
            return [dict(row) for row in conn.execute(statement).mappings()]


@blp.route("/authority-messages/<id:message_id>")
class Message(MethodView):
    """One message to the tax authority."""

    @blp.response(200, MessageDetailOut)
    @roles("admin")
    def get(self, message_id: int) -> dict[str, Any]:
        """Return a message and every attempt made."""
        with runtime().engine.connect() as conn:
            row = conn.execute(select(outbox_messages).where(outbox_messages.c.id == message_id)).mappings().first()
            if row is None:
                abort(404, description=f"no message {message_id}")
            log = conn.execute(
                select(outbox_attempts).where(outbox_attempts.c.message_id == message_id).order_by(outbox_attempts.c.id)
            ).mappings()
            return {**row, "attempts_log": [dict(entry) for entry in log]}


@blp.route("/authority-messages/<id:message_id>/retry")
class Retry(MethodView):
    """Retry a parked message."""

    @blp.response(204)
    @roles("admin")
    def post(self, message_id: int) -> None:
        """Put a parked message back in line (409 if it is not parked)."""
        if not retry_parked(runtime().engine, message_id, runtime().now()):
            abort(409, description=f"message {message_id} is not parked")


@blp.route("/webhooks")
class Webhooks(MethodView):
    """Webhooks."""

    @blp.response(200, WebhookOut(many=True))
    @roles("admin")
    def get(self) -> list[dict[str, Any]]:
        """List webhooks (without their secrets)."""
        with runtime().engine.connect() as conn:
            rows = conn.execute(select(webhook_table).order_by(webhook_table.c.id)).mappings()
            return [{key: value for key, value in row.items() if key != "secret"} for row in rows]

    @blp.doc(parameters=[IDEMPOTENCY_HEADER])
    @blp.response(201, WebhookOut)
    @roles("admin")
    @idempotent
    @blp.arguments(WebhookIn)
    def post(self, data: dict[str, Any]) -> Any:
        """Register a URL; the answer holds the signing secret, shown this once."""
        rt = runtime()
        webhook_id, secret = webhooks.register(rt.engine, data["url"], created_by=current_actor().user_id, now=rt.now())
        body = {"id": webhook_id, "url": data["url"], "active": True, "created_at": rt.now(), "secret": secret}
        return body, 201, {"Location": f"{PREFIX}/webhooks/{webhook_id}"}


@blp.route("/webhooks/<id:webhook_id>")
class Webhook(MethodView):
    """One webhook."""

    @blp.response(204)
    @roles("admin")
    def delete(self, webhook_id: int) -> None:
        """Stop delivering to a webhook (its delivery log is kept)."""
        with writing(runtime().engine) as conn:
            changed = conn.execute(
                update(webhook_table).where(webhook_table.c.id == webhook_id).values(active=False)
            ).rowcount
        if not changed:
            abort(404, description=f"no webhook {webhook_id}")


@blp.route("/webhooks/<id:webhook_id>/deliveries")
class Deliveries(MethodView):
    """The delivery log of a webhook."""

    @blp.response(200, DeliveryOut(many=True))
    @roles("admin")
    def get(self, webhook_id: int) -> list[dict[str, Any]]:
        """List the webhook's deliveries, newest first."""
        with runtime().engine.connect() as conn:
            rows = conn.execute(
                select(webhook_deliveries)
                .where(webhook_deliveries.c.webhook_id == webhook_id)
                .order_by(webhook_deliveries.c.id.desc())
                .limit(500)
            ).mappings()
            return [dict(row) for row in rows]

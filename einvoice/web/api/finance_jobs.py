# mypy: disable-error-code="untyped-decorator"
# flask-smorest ships no type information, so each of its decorators would count as untyped.
"""Long exports as job resources: start one, read its progress, cancel it, download its file."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app
from marshmallow import Schema, fields, validate

from einvoice.services import export_jobs
from einvoice.services.finance_list import FinanceFilter
from einvoice.web.api.base import IDEMPOTENCY_HEADER, PREFIX, Blueprint
from einvoice.web.api.finance import XLSX, stream_file
from einvoice.web.api.finance_schemas import ListQuery
from einvoice.web.api.idempotent import idempotent
from einvoice.web.auth import current_actor, roles
from einvoice.web.runtime import runtime, settings_of

blp = Blueprint("finance_jobs", __name__, url_prefix=f"{PREFIX}/finance", description="Background exports")
FINANCE = ("finance", "admin")


class ExportJobIn(Schema):
    """What to export: the finance list's filters and the file format."""

    format = fields.String(required=True, validate=validate.OneOf(["csv", "xlsx"]))
    filters = fields.Nested(ListQuery(exclude=("page", "per_page")), load_default=dict)


class ExportJobOut(Schema):
    """A job: its state and progress (rows written of total, percent), and where its file is once done."""

    id = fields.Integer()
    format = fields.String()
    state = fields.String(metadata={"description": "queued | running | done | cancelled | failed"})
    total = fields.Integer(allow_none=True)
    done = fields.Integer()
    percent = fields.Integer()
    error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    file_url = fields.Function(
        lambda job: f"{PREFIX}/finance/exports/{job['id']}/file" if job["state"] == "done" else None
    )


def _folder() -> Any:
    return settings_of(current_app).data_dir / "exports"


def _owner() -> int:
    actor = current_actor()
    assert actor.user_id is not None
    return actor.user_id


@blp.route("/exports", methods=["POST"])
@blp.doc(parameters=[IDEMPOTENCY_HEADER])
@blp.response(202, ExportJobOut)
@roles(*FINANCE)
@idempotent
@blp.arguments(ExportJobIn())
def start_export(data: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Start an export of the finance list in the background; poll the job for progress."""
    rt = runtime()
    job_id = export_jobs.create_job(rt.engine, _owner(), FinanceFilter(**data["filters"]), data["format"], rt.now())
    export_jobs.start_job(rt.engine, job_id, _folder(), rt.now)
    location = f"{PREFIX}/finance/exports/{job_id}"
    return export_jobs.get_job(rt.engine, job_id, _owner()), 202, {"Location": location}


@blp.route("/exports/<id:job_id>", methods=["GET"])
@blp.response(200, ExportJobOut)
@roles(*FINANCE)
def export_progress(job_id: int) -> dict[str, Any]:
    """Return a job's state and progress."""
    return export_jobs.get_job(runtime().engine, job_id, _owner())


@blp.route("/exports/<id:job_id>", methods=["DELETE"])
@blp.response(200, ExportJobOut)
@roles(*FINANCE)
def cancel_export(job_id: int) -> dict[str, Any]:
    """Cancel a running job (409 once it has finished)."""
    return export_jobs.cancel_job(runtime().engine, job_id, _owner())


@blp.route("/exports/<id:job_id>/file", methods=["GET"])
@blp.response(200, content_type="application/octet-stream")
@roles(*FINANCE)
def export_file(job_id: int) -> Response:
    """Download a finished job's file (409 before it is done)."""
    path = export_jobs.job_file(runtime().engine, job_id, _owner(), _folder())
    mimetype = XLSX if path.suffix == ".xlsx" else "text/csv"
    response = Response(stream_file(path.open("rb")), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="chung-tu-{job_id}{path.suffix}"'
    response.headers["Content-Length"] = str(path.stat().st_size)
    return response

"""Exports of the document list as background jobs: start one, watch its progress bar, cancel it, download its file.

The job page works without JavaScript (a link reloads it); ``finance.js`` polls the API's job resource with back-off,
moves the progress bar and reloads the page once the job has finished, so the download link appears.
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from einvoice.services import export_jobs
from einvoice.services.finance_list import FinanceFilter
from einvoice.web.api.base import PREFIX
from einvoice.web.api.finance_schemas import ListQuery
from einvoice.web.counter.base import page_actor, staff
from einvoice.web.counter.forms import ActionForm
from einvoice.web.finance_pages.base import FINANCE, BadQuery, bp, exports_folder, page, query_args
from einvoice.web.runtime import runtime

FORMATS = {"csv": "CSV", "xlsx": "XLSX"}


def _owner() -> int:
    actor = page_actor()
    assert actor is not None
    assert actor.user_id is not None
    return actor.user_id


@bp.post("/tai-chinh/xuat")
@staff(*FINANCE)
def start_export() -> Response | tuple[str, int]:
    """Start exporting the documents the form's filters select (CSV or XLSX); go to the job's page."""
    if not ActionForm().validate_on_submit():
        return render_template("counter/csrf.html", actor=page_actor()), 400
    file_format = request.form.get("format", "")
    if file_format not in FORMATS:
        raise BadQuery([("format", "Chọn định dạng tệp CSV hoặc XLSX")])
    given = {k: v for k, v in request.form.items() if k not in ("csrf_token", "format")}
    criteria = FinanceFilter(**query_args(ListQuery(exclude=("page", "per_page")), given))
    rt = runtime()
    job_id = export_jobs.create_job(rt.engine, _owner(), criteria, file_format, rt.now())
    export_jobs.start_job(rt.engine, job_id, exports_folder(), rt.now)
    return redirect(url_for("finance_pages.export", job_id=job_id))


@bp.get("/tai-chinh/xuat/<int:job_id>")
@staff(*FINANCE)
def export(job_id: int) -> str:
    """A job's state and progress bar; its download once done; cancel while it runs."""
    job = export_jobs.get_job(runtime().engine, job_id, _owner())
    return page(
        "finance/export.html",
        job=job,
        format_name=FORMATS.get(job["format"], job["format"]),
        finished=job["state"] in export_jobs.FINISHED,
        poll_url=f"{PREFIX}/finance/exports/{job_id}",
        file_url=f"{PREFIX}/finance/exports/{job_id}/file",
        form=ActionForm(),
    )


@bp.post("/tai-chinh/xuat/<int:job_id>/huy")
@staff(*FINANCE)
def cancel_export(job_id: int) -> Response | tuple[str, int]:
    """Cancel a running job (a finished one answers the conflict page)."""
    if not ActionForm().validate_on_submit():
        return render_template("counter/csrf.html", actor=page_actor()), 400
    export_jobs.cancel_job(runtime().engine, job_id, _owner())
    return redirect(url_for("finance_pages.export", job_id=job_id))

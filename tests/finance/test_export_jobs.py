"""Background exports: a job reports progress, its file reads back like the direct export, and it can be cancelled."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import Engine

from einvoice.services import export_jobs
from einvoice.services.finance_list import FinanceFilter


def _wait(api: FlaskClient, auth: Any, url: str) -> Any:
    """Poll a job (bounded, growing pauses) until it has finished."""
    pause = 0.05
    for _ in range(40):
        job = api.get(url, headers=auth("finance")).get_json()
        if job["state"] in ("done", "cancelled", "failed"):
            return job
        time.sleep(pause)
        pause = min(pause * 2, 1.0)
    raise AssertionError(f"job still {job['state']}")


def test_job_exports_the_same_rows(api: FlaskClient, auth: Any, day: dict[str, Any]) -> None:
    """A CSV job finishes at 100 % and its file has the rows of the direct export."""
    body = {"format": "csv", "filters": {"date_from": day["date"].isoformat(), "payment_method": "CK"}}
    started = api.post("/api/v1/finance/exports", json=body, headers=auth("finance", "job-1"))
    assert started.status_code == 202, started.get_json()
    job = _wait(api, auth, started.headers["Location"])
    assert (job["state"], job["percent"], job["done"]) == ("done", 100, job["total"])
    file = api.get(job["file_url"], headers=auth("finance"))
    direct = api.get("/api/v1/finance/documents/export?format=csv&payment_method=CK", headers=auth("finance"))
    rows = list(csv.reader(io.StringIO(file.get_data(as_text=True))))
    assert rows == list(csv.reader(io.StringIO(direct.get_data(as_text=True))))
    assert len(rows) > 1


def test_cancelled_job_writes_nothing(
    engine: Engine, day: dict[str, Any], world: dict[str, Any], tmp_path: Path
) -> None:
    """A job cancelled before its thread runs ends cancelled with no file; a second cancel is a conflict."""
    owner = world["users"]["finance"]["id"]
    job_id = export_jobs.create_job(engine, owner, FinanceFilter(), "xlsx", day["now"]())
    assert export_jobs.cancel_job(engine, job_id, owner)["state"] == "cancelled"
    export_jobs.run_job(engine, job_id, tmp_path / "exports", day["now"])
    assert export_jobs.get_job(engine, job_id, owner)["state"] == "cancelled"
    assert list((tmp_path / "exports").glob("*")) == []


def test_job_stops_when_cancelled_midway(
    engine: Engine, day: dict[str, Any], world: dict[str, Any], tmp_path: Path
) -> None:
    """A running job reads its state every step: cancelled midway, it stops and removes its partial file."""
    owner = world["users"]["finance"]["id"]
    job_id = export_jobs.create_job(engine, owner, FinanceFilter(), "csv", day["now"]())
    original = export_jobs._counted

    def cancel_then_count(*args: Any) -> Any:
        export_jobs.cancel_job(engine, job_id, owner)
        return original(*args)

    step = export_jobs.STEP
    export_jobs.STEP, export_jobs._counted = 5, cancel_then_count  # type: ignore[assignment]
    try:
        export_jobs.run_job(engine, job_id, tmp_path / "exports", day["now"])
    finally:
        export_jobs.STEP, export_jobs._counted = step, original  # type: ignore[assignment]
    job = export_jobs.get_job(engine, job_id, owner)
    assert (job["state"], job["done"]) == ("cancelled", 5)
    assert list((tmp_path / "exports").glob("*")) == []

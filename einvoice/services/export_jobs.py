"""Long exports as background jobs: a row per job with its progress, a thread that writes the file, cancellation.

A job counts its rows first (``total``), then writes them, updating ``done`` every :data:`STEP` rows and reading its
own state there: a job set to ``cancelled`` stops at the next step and removes its partial file. Files are written
under ``<data folder>/exports`` as ``<id>.part`` and renamed when complete, so a download never sees half a file.
The thread lives in the web process: a job whose process died stays ``running``; its owner starts another.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from einvoice.finance.export import csv_chunks, write_xlsx
from einvoice.finance.tables import documents_sheet
from einvoice.services.errors import ConflictError, NotFoundError
from einvoice.services.finance_list import FinanceFilter, _query, iter_documents
from einvoice.services.issuing import Now
from einvoice.services.ledger import catch_up
from einvoice.storage.schema import export_jobs

STEP = 500
FINISHED = ("done", "cancelled", "failed")


class Cancelled(Exception):
    """The job's owner cancelled it."""


def _filters_json(criteria: FinanceFilter) -> str:
    return json.dumps(asdict(criteria), default=lambda v: v.isoformat() if isinstance(v, date) else str(v))


def _filters_of(text: str) -> FinanceFilter:
    data = json.loads(text)
    for name in ("date_from", "date_to"):
        if data.get(name):
            data[name] = date.fromisoformat(data[name])
    return FinanceFilter(**data)


def create_job(engine: Engine, owner_id: int, criteria: FinanceFilter, file_format: str, now: datetime) -> int:
    """Record a queued job; return its id."""
    with engine.begin() as conn:
        row = {"owner_id": owner_id, "format": file_format, "filters": _filters_json(criteria), "state": "queued"}
        return int(
            conn.execute(
                export_jobs.insert().values(**row, done=0, created_at=now).returning(export_jobs.c.id)
            ).scalar_one()
        )


def get_job(engine: Engine, job_id: int, owner_id: int) -> dict[str, Any]:
    """Return a job of ``owner_id`` (another user's is not found)."""
    query = select(export_jobs).where(export_jobs.c.id == job_id, export_jobs.c.owner_id == owner_id)
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFoundError(f"no export job {job_id}")
    job = dict(row)
    job["percent"] = 100 if job["state"] == "done" else (100 * job["done"] // job["total"] if job["total"] else 0)
    return job


def cancel_job(engine: Engine, job_id: int, owner_id: int) -> dict[str, Any]:
    """Ask a job to stop; a finished job is a conflict."""
    job = get_job(engine, job_id, owner_id)
    if job["state"] in FINISHED:
        raise ConflictError(f"export job {job_id} is already {job['state']}")
    with engine.begin() as conn:
        conn.execute(export_jobs.update().where(export_jobs.c.id == job_id).values(state="cancelled"))
    return get_job(engine, job_id, owner_id)


def job_file(engine: Engine, job_id: int, owner_id: int, folder: Path) -> Path:
    """Return the finished file of a job; a job not done is a conflict."""
    job = get_job(engine, job_id, owner_id)
    if job["state"] != "done" or not job["file_name"]:
        raise ConflictError(f"export job {job_id} is {job['state']}, not done")
    return folder / str(job["file_name"])


def _update(engine: Engine, job_id: int, **values: Any) -> str:
    with engine.begin() as conn:
        conn.execute(export_jobs.update().where(export_jobs.c.id == job_id).values(**values))
        return str(conn.execute(select(export_jobs.c.state).where(export_jobs.c.id == job_id)).scalar_one())


def _counted(engine: Engine, job_id: int, items: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    done = 0
    for item in items:
        yield item
        done += 1
        if done % STEP == 0 and _update(engine, job_id, done=done) == "cancelled":
            raise Cancelled
    _update(engine, job_id, done=done)


def run_job(engine: Engine, job_id: int, folder: Path, now: Now) -> None:
    """Write the job's file, keeping its progress; stop if cancelled (see the module docstring)."""
    with engine.connect() as conn:
        job = conn.execute(select(export_jobs).where(export_jobs.c.id == job_id)).mappings().one()
    if job["state"] != "queued":
        return
    criteria = _filters_of(job["filters"])
    catch_up(engine)  # before counting: the count reads the ledger
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(_query(criteria).subquery())).scalar_one()
    _update(engine, job_id, state="running", total=total)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{job_id}.{job['format']}"
    partial = folder / f"{job_id}.part"
    items = iter_documents(engine, criteria)
    try:
        sheet = documents_sheet(_counted(engine, job_id, items))
        if job["format"] == "csv":
            with partial.open("w", encoding="utf-8", newline="") as target:
                target.writelines(csv_chunks(sheet))
        else:
            with partial.open("wb") as target:
                write_xlsx(target, [sheet])
    except Cancelled:
        items.close()  # closes the server-side cursor now, not when collected
        partial.unlink(missing_ok=True)
        _update(engine, job_id, finished_at=now())
        return
    except Exception as error:
        items.close()
        partial.unlink(missing_ok=True)
        _update(engine, job_id, state="failed", error=str(error)[:400], finished_at=now())
        raise
    partial.replace(folder / name)
    _update(engine, job_id, state="done", file_name=name, finished_at=now())


def start_job(engine: Engine, job_id: int, folder: Path, now: Now) -> threading.Thread:
    """Run the job in a background thread."""
    thread = threading.Thread(target=run_job, args=(engine, job_id, folder, now), name=f"export-{job_id}", daemon=True)
    thread.start()
    return thread

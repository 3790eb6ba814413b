"""The counter's PDF request reads the document and its XML of record in one query, not one for each."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from counter.conftest import issue
from flask.testing import FlaskClient
from sqlalchemy import Engine, event


@contextmanager
def _statements() -> Iterator[list[str]]:
    """Collect the SQL statements every engine runs inside the block (the app has its own engine)."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def test_the_counter_pdf_reads_its_document_once(cashier: FlaskClient) -> None:
    """Printing a receipt at the counter selects from the documents table once, the XML with the metadata."""
    answer = issue(cashier, {"LP-CT": "1"}, payer_name="Trần Thị Bích")
    assert answer.status_code == 302, answer.get_data(as_text=True)[:800]
    with _statements() as seen:
        pdf = cashier.get(answer.headers["Location"] + "/pdf")
    assert pdf.status_code == 200
    assert pdf.data.startswith(b"%PDF")
    reads = [s for s in seen if re.search(r"\bFROM documents\b", s)]
    assert len(reads) == 1, reads
    assert "documents.xml" in reads[0]

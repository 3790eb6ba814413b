"""The auditors' archive: every document of the period as stored, a manifest, and a check that needs only the ZIP."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from einvoice.finance.archive import verify_archive
from einvoice.services.archive import export_archive
from einvoice.services.issuing import issue_document
from einvoice.services.toolchain import pkcs12_toolchain
from einvoice.storage.schema import documents
from tests.services.test_signed_issuing import _configure, dev_ca  # noqa: F401 -- a fixture, shared


def _archive(engine: Engine, day: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    export_archive(engine, out, day["date"], day["date"])
    return out.getvalue()


def _rewrite(data: bytes, change: Any) -> bytes:
    """Copy an archive, letting ``change(name, bytes)`` alter or drop (None) each member."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            content = change(name, source.read(name))
            if content is not None:
                target.writestr(name, content)
    return out.getvalue()


def test_archive_holds_every_document_as_stored(engine: Engine, day: dict[str, Any]) -> None:
    """Each stored XML is in the ZIP byte for byte; both manifests list it with its SHA-256; README in Vietnamese."""
    data = _archive(engine, day)
    with engine.connect() as conn:
        stored = {hashlib.sha256(bytes(x)).hexdigest() for x in conn.execute(select(documents.c.xml)).scalars()}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = json.loads(archive.read("manifest.json"))["documents"]
        rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
        files = {hashlib.sha256(archive.read(row["file"])).hexdigest() for row in manifest}
        readme = archive.read("README.txt").decode()
    assert files == stored
    assert len(manifest) == len(rows) == len(stored)
    assert {row["sha256"] for row in rows} == stored
    assert "replaced" in {row["state"] for row in rows}
    assert "Cách kiểm tra" in readme


def test_intact_archive_verifies_without_the_database(engine: Engine, day: dict[str, Any]) -> None:
    """An untouched archive has no finding on hashes and chain (test documents are unsigned: signatures skipped)."""
    assert verify_archive(io.BytesIO(_archive(engine, day)), signatures=False) == []


def test_unsigned_documents_are_reported_when_signatures_are_checked(engine: Engine, day: dict[str, Any]) -> None:
    """Checking signatures finds every unsigned test document."""
    findings = verify_archive(io.BytesIO(_archive(engine, day)))
    assert findings
    assert all("signature" in finding for finding in findings)


def test_altered_file_and_missing_document_are_found(engine: Engine, day: dict[str, Any]) -> None:
    """A changed byte fails its SHA-256; a document taken out leaves a gap in its series' chain."""
    data = _archive(engine, day)
    altered = _rewrite(
        data, lambda name, content: content.replace(b"</", b" </", 1) if name.endswith("0002.xml") else content
    )
    assert any("SHA-256" in f for f in verify_archive(io.BytesIO(altered), signatures=False))

    def drop(name: str, content: bytes) -> bytes | None:
        if name != "manifest.json":
            return content
        manifest = json.loads(content)
        manifest["documents"] = [row for row in manifest["documents"] if not row["file"].endswith("0003.xml")]
        return json.dumps(manifest).encode()

    assert any("not in the archive" in f for f in verify_archive(io.BytesIO(_rewrite(data, drop)), signatures=False))


def test_signed_archive_verifies_and_a_forged_copy_does_not(
    engine: Engine,
    world: dict[str, Any],
    clock: Any,
    dev_ca: Path,  # noqa: F811 -- the imported fixture
) -> None:
    """Documents signed with the development CA verify from the ZIP alone; an edited copy fails its signature."""
    request = _configure(engine, world, dev_ca, "0109999999", clock)
    issued = [
        issue_document(engine, request, actor=world["cashier"], now=clock, tools=pkcs12_toolchain()) for _ in "ab"
    ]
    out = io.BytesIO()
    export_archive(engine, out, issued[0].issue_date, issued[0].issue_date)
    assert verify_archive(io.BytesIO(out.getvalue()), allow_development=True) == []
    forged = _rewrite(
        out.getvalue(), lambda name, content: content.replace(b"Nguy", b"Ngu", 1) if name.endswith(".xml") else content
    )
    findings = verify_archive(io.BytesIO(forged), allow_development=True)
    assert any("signature" in f for f in findings)
    assert any("SHA-256" in f for f in findings)


def test_verify_command_reads_the_zip_alone(engine: Engine, day: dict[str, Any], tmp_path: Path) -> None:
    """``einvoice archive-verify`` says intact for a good archive and exits 1 naming the file of an altered one."""
    from click.testing import CliRunner

    from einvoice.cli import main

    good, bad = tmp_path / "good.zip", tmp_path / "bad.zip"
    good.write_bytes(_archive(engine, day))
    bad.write_bytes(_rewrite(good.read_bytes(), lambda n, c: c + b" " if n.endswith("0001.xml") else c))
    intact = CliRunner().invoke(main, ["archive-verify", "--no-signatures", str(good)])
    assert (intact.exit_code, intact.output.strip()) == (0, "archive intact")
    broken = CliRunner().invoke(main, ["archive-verify", "--no-signatures", str(bad)])
    assert broken.exit_code == 1
    assert "0001.xml" in broken.output

"""The auditors' archive: a ZIP of documents as issued, a manifest (CSV and JSON), a README in Vietnamese, and the
check that needs nothing but the ZIP.

Layout::

    README.txt              what is inside and how to check it (Vietnamese)
    manifest.json           {"period": …, "documents": [ {file, sha256, kind, template, series, number, issue_date,
                             state, chain: {seq, prev_hash, hash, fields}} … ]}
    manifest.csv            the same rows, one per document (UTF-8 with BOM)
    xml/<template>-<series>-<number>.xml   the signed bytes exactly as stored

``chain.fields`` are the audit entry's hashed fields, so :func:`verify_archive` recomputes each entry's hash
(SHA-256 over the previous hash and the canonical JSON, as :mod:`einvoice.services.audit` does), checks that
consecutive entries of a series in the archive link up, that the entry names the file's SHA-256, and that each
file's bytes have the SHA-256 the manifest says. Signatures are checked with the project's verifier (the same
XMLDSig checks as ``xmlsec1 --verify``), trust in the certificate aside: the archive carries no trust store.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from einvoice.services.audit import entry_hash
from einvoice.xmldoc.verify import verify_document

MANIFEST_COLUMNS = ("file", "sha256", "kind", "template", "series", "number", "issue_date", "state", "chain_seq")

README_VI = """KHO LƯU TRỮ CHỨNG TỪ ĐIỆN TỬ
================================
Kỳ: {period}
Số chứng từ: {count}

Nội dung:
- xml/: từng biên lai, hóa đơn đúng như khi phát hành (tệp XML đã ký số, không sửa đổi).
- manifest.csv, manifest.json: danh sách tệp, mã băm SHA-256, mẫu số, ký hiệu, số, ngày lập, trạng thái và vị trí
  trong chuỗi nhật ký (chuỗi băm theo từng ký hiệu).

Cách kiểm tra (không cần cơ sở dữ liệu):
    einvoice archive-verify <tệp .zip>
Lệnh kiểm tra: mã băm của từng tệp, chữ ký số của từng chứng từ, và chuỗi nhật ký (mỗi mục chứa mã băm của mục trước).
Có thể tự kiểm tra mã băm bằng lệnh: sha256sum xml/<tên tệp>
"""


@dataclass(frozen=True, slots=True)
class ArchivedDocument:
    """A document to archive: its metadata, signed bytes, and its audit entry (hashed fields and hashes)."""

    kind: str
    template: str
    series: str
    number: int
    issue_date: str
    state: str
    xml: bytes
    chain: dict[str, Any] | None


def file_name(document: ArchivedDocument) -> str:
    """Return the path of a document's XML inside the archive."""
    return f"xml/{document.template}-{document.series}-{document.number:07d}.xml"


def write_archive(target: IO[bytes], period: str, documents: Iterable[ArchivedDocument]) -> int:
    """Write the archive of ``documents`` to ``target``, one document in memory at a time; return how many."""
    rows: list[dict[str, Any]] = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for document in documents:
            name = file_name(document)
            archive.writestr(name, document.xml)
            rows.append(
                {
                    "file": name,
                    "sha256": hashlib.sha256(document.xml).hexdigest(),
                    "kind": document.kind,
                    "template": document.template,
                    "series": document.series,
                    "number": document.number,
                    "issue_date": document.issue_date,
                    "state": document.state,
                    "chain_seq": None if document.chain is None else document.chain["seq"],
                    "chain": document.chain,
                }
            )
        archive.writestr(
            "manifest.json", json.dumps({"period": period, "documents": rows}, ensure_ascii=False, indent=1)
        )
        text = io.StringIO()
        writer = csv.DictWriter(text, MANIFEST_COLUMNS, extrasaction="ignore", lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
        archive.writestr("manifest.csv", "\ufeff" + text.getvalue())
        archive.writestr("README.txt", README_VI.format(period=period, count=len(rows)))
    return len(rows)


def verify_archive(source: IO[bytes] | str, *, signatures: bool = True, allow_development: bool = False) -> list[str]:
    """Check an archive on its own; return every finding (empty when it holds)."""
    findings: list[str] = []
    with zipfile.ZipFile(source) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        names = set(archive.namelist())
        last: dict[str, dict[str, Any]] = {}
        for row in manifest["documents"]:
            where = row["file"]
            if where not in names:
                findings.append(f"{where}: listed in the manifest but missing")
                continue
            xml = archive.read(where)
            digest = hashlib.sha256(xml).hexdigest()
            if digest != row["sha256"]:
                findings.append(f"{where}: SHA-256 {digest} differs from the manifest's")
            findings.extend(_chain_findings(where, row, digest, last))
            if signatures:
                report = verify_document(xml, allow_development=allow_development)
                if not report.valid:
                    reasons = "; ".join(p.code for p in report.problems) or "a signature does not verify"
                    findings.append(f"{where}: signature: {reasons}")
    return findings


def _chain_findings(where: str, row: dict[str, Any], digest: str, last: dict[str, dict[str, Any]]) -> list[str]:
    chain = row.get("chain")
    if chain is None:
        return [f"{where}: no audit entry"]
    found = []
    if entry_hash(chain["prev_hash"], chain["fields"]) != chain["hash"]:
        found.append(f"{where}: audit entry altered (its hash does not match its fields)")
    if chain["fields"].get("document_sha256") != digest:
        found.append(f"{where}: the audit entry names another document hash")
    key = f"{row['template']}/{row['series']}"
    before = last.get(key)
    if before is not None and chain["seq"] == before["seq"] + 1 and chain["prev_hash"] != before["hash"]:
        found.append(f"{where}: chain broken after entry {before['seq']}")
    if before is not None and chain["seq"] != before["seq"] + 1:
        found.append(f"{where}: entries {before['seq'] + 1}..{chain['seq'] - 1} of {key} are not in the archive")
    last[key] = chain
    return found

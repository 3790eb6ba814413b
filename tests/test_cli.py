"""The document commands of the ``einvoice`` command line."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from einvoice.cli import main

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"


def test_build_writes_the_golden_xml(tmp_path: Path) -> None:
    """`einvoice build` turns a JSON document into the same XML as the golden file."""
    out = tmp_path / "out.xml"
    result = CliRunner().invoke(main, ["build", str(GOLDEN / "08-receipt-one-fee.json"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == (GOLDEN / "08-receipt-one-fee.xml").read_bytes()


def test_build_reports_json_field_errors(tmp_path: Path) -> None:
    """Bad JSON fields are printed with their code and field path, in both languages, and the command fails."""
    source = tmp_path / "bad.json"
    source.write_text('{"kind": "receipt", "template": "EBL01", "series": "25T", "issue_date": "2025-13-01"}')
    result = CliRunner().invoke(main, ["build", str(source)])
    assert result.exit_code == 1
    assert "NOT_DATE\tissue_date\tNot a valid date.\tNgày lập phải có dạng YYYY-MM-DD" in result.output
    assert "MISSING_FIELD\tcollector\t" in result.output


def test_validate_prints_every_problem_with_path_and_code(tmp_path: Path) -> None:
    """`einvoice validate` lists each problem with code and path and exits 1."""
    xml = (GOLDEN / "01-vat-two-rates.xml").read_bytes()
    broken = tmp_path / "broken.xml"
    broken.write_bytes(
        xml.replace(b"<TgTTTBSo>11685000<", b"<TgTTTBSo>11685001<").replace(b"C25TAA</KHHDon>", b"C24TAA</KHHDon>")
    )
    result = CliRunner().invoke(main, ["validate", str(broken)])
    assert result.exit_code == 1
    assert "INV_TOTALS\t/HDon/DLHDon/NDHDon/TToan/TgTTTBSo" in result.output
    assert "DOC_SERIES\t/HDon/DLHDon/TTChung/KHHDon" in result.output


def test_validate_accepts_a_valid_file() -> None:
    """A valid document validates with exit code 0."""
    result = CliRunner().invoke(main, ["validate", str(GOLDEN / "05-foreign-currency.xml")])
    assert result.exit_code == 0
    assert "OK" in result.output


def test_rule_catalogue_document_is_up_to_date() -> None:
    """docs/validation-rules.md is exactly what the code generates."""
    result = CliRunner().invoke(main, ["rules", "--markdown"])
    assert result.output == (ROOT / "docs" / "validation-rules.md").read_text("utf-8")

"""The table of document kinds: every kind has every column, and nothing outside the table asks which kind it has."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from einvoice.domain.documents import Document
from einvoice.domain.kinds import NAMES, DocumentKind
from einvoice.domain.series import SERIES_RULES
from einvoice.kinds import KINDS, PRINT_TEMPLATES, row_of, row_of_document, row_of_root
from einvoice.resources import schemas_dir, templates_dir
from einvoice.services import issuing
from einvoice.xmldoc import build, formats, parse
from einvoice.xmldoc.build import build_document
from einvoice.xmldoc.parse import parse_document
from einvoice.xmldoc.rules import RULES, check_document
from tests import builders

ROOT = Path(__file__).resolve().parents[1]
#: The modules that are the table: they alone may name a kind by its word or ask a document for its class.
TABLE_MODULES = {"einvoice/kinds.py", "einvoice/domain/kinds.py"}
#: Modules being rewritten in parallel (the JSON vocabulary, issue 8): to be removed from here once they use the table.
PENDING: set[str] = set()
_KIND_CLASSES = {"Invoice", "Receipt", "InvoiceRequest", "ReceiptRequest"}
_KIND_WORDS = {kind.value for kind in DocumentKind}


def _documents() -> list[Document]:
    return [builders.invoice(), builders.receipt(fees=2)]


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_every_kind_has_every_column(kind: DocumentKind) -> None:
    """Each kind has its names, series rules, XML format, builder, reader, print templates, composer and rules."""
    row = KINDS[kind]
    assert (row.names, row.series, row.xml) == (NAMES[kind], SERIES_RULES[kind], formats.FORMATS[kind])
    assert kind in build._TREES
    assert kind in parse._READERS
    assert kind in issuing._COMPOSERS
    assert (schemas_dir() / row.xml.schema).is_file()
    assert row.print_templates == PRINT_TEMPLATES[kind]
    assert row.default_layout in row.print_templates
    for template in row.print_templates.values():
        assert (templates_dir() / template).is_file(), template
    assert any(kind in rule.kinds for rule in RULES)
    assert row_of(kind.value) is row
    assert row_of_root(row.xml.root) is row


@pytest.mark.parametrize("document", _documents(), ids=lambda d: d.kind.value)
def test_a_document_reads_back_as_its_own_kind(document: Document) -> None:
    """Built by its kind's builder and read by its kind's reader, a document keeps its kind, issuer, party, total."""
    read = parse_document(build_document(document))
    assert read.kind is document.kind
    assert row_of_document(read).xml.root == row_of(document.kind).xml.root
    assert (read.issuer, read.party, read.total_payable) == (document.issuer, document.party, document.total_payable)
    assert check_document(read) == []


def test_documents_answer_the_shared_questions_in_their_own_words() -> None:
    """An invoice's issuer and party are its seller and buyer; a receipt's are its collector and payer."""
    invoice, receipt = _documents()
    assert (invoice.issuer, invoice.party, invoice.total_payable) == (
        invoice.seller,
        invoice.buyer,
        invoice.totals.total_payable,
    )
    assert (receipt.issuer, receipt.party, receipt.total_payable) == (receipt.collector, receipt.payer, receipt.total)


def kind_branching(source: str) -> list[int]:
    """Return the lines of ``source`` that ask for a document's class or name a kind by its word."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "isinstance":
            classes = list(ast.walk(node.args[1])) if len(node.args) > 1 else []
            names = {n.id for n in classes if isinstance(n, ast.Name)} | {
                n.attr for n in classes if isinstance(n, ast.Attribute)
            }
            if names & _KIND_CLASSES:
                found.append(node.lineno)
        elif isinstance(node, ast.Constant) and node.value in _KIND_WORDS and id(node) not in docstrings:
            found.append(node.lineno)
    return sorted(found)


def _sources() -> list[Path]:
    return sorted((ROOT / "einvoice").rglob("*.py"))


def test_no_kind_branching_outside_the_table() -> None:
    """No module but the table's uses isinstance on a document class or the words "invoice"/"receipt" as a kind."""
    offenders = [
        f"{relative}:{line}"
        for path in _sources()
        if (relative := path.relative_to(ROOT).as_posix()) not in TABLE_MODULES | PENDING
        and not relative.startswith("einvoice/storage/migrations/")  # history, frozen with the schema it wrote
        for line in kind_branching(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, "look the kind up in einvoice.kinds instead:\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ("x = isinstance(doc, Invoice)", True),
        ("x = isinstance(doc, (Receipt, str))", True),
        ("x = isinstance(doc, documents.Receipt)", True),
        ('layout = "a5" if stored.kind == "receipt" else "a4"', True),
        ('schemas = {"invoice": InvoiceIn}', True),
        ("x = isinstance(value, Decimal)", False),
        ("layout = row_of(stored.kind).default_layout", False),
        ('def f():\n    """Print a receipt."""\n', False),
    ],
)
def test_the_scan_catches_kind_branching(source: str, flagged: bool) -> None:
    """The scan flags isinstance on document classes and kind words in code, not other checks or docstrings."""
    assert bool(kind_branching(source)) is flagged

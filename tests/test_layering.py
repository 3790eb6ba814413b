"""Architecture rules that review alone would let slip: layering and the one XML parser."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Packages that must stay pure: importable, and testable, without the web or database stack.
PURE_PACKAGES = ("einvoice.domain", "einvoice.xmldoc", "einvoice.jsondoc")
FORBIDDEN_MODULES = ("flask", "sqlalchemy", "werkzeug")

_IMPORT_ALL = """
import importlib, json, pkgutil, sys
imported = []
for name in sys.argv[1:]:
    package = importlib.import_module(name)
    imported.append(name)
    for info in pkgutil.walk_packages(package.__path__, name + "."):
        importlib.import_module(info.name)
        imported.append(info.name)
print(json.dumps({"imported": imported, "loaded": sorted(sys.modules)}))
"""

#: The one module allowed to parse XML; it does so with a hardened parser.
SAFE_PARSER = ROOT / "einvoice" / "xmldoc" / "safe.py"
_UNSAFE_PARSE = re.compile(r"\b(?:etree|ElementTree)\s*\.\s*(?:fromstring|parse|XML)\s*\(")
_SKIPPED_DIRS = {"tests", "build", "dist", "var", "node_modules", "__pycache__"}


def test_pure_packages_import_no_web_or_database_stack() -> None:
    """Importing all of domain, xmldoc and jsondoc in a fresh interpreter loads no Flask or SQLAlchemy."""
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL, *PURE_PACKAGES],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(PURE_PACKAGES) <= set(report["imported"])
    leaked = {module for module in report["loaded"] if module.split(".")[0] in FORBIDDEN_MODULES}
    assert not leaked, f"domain/xmldoc pulled in {sorted(leaked)}"


def _python_sources() -> list[Path]:
    """Return the project's Python files outside tests/ and hidden folders (.venv, .git)."""
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if not any(part in _SKIPPED_DIRS or part.startswith(".") for part in path.relative_to(ROOT).parts[:-1])
    )


def test_only_the_safe_module_parses_xml() -> None:
    """No file but einvoice/xmldoc/safe.py calls etree.fromstring, etree.parse or etree.XML."""
    sources = _python_sources()
    assert SAFE_PARSER in sources
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sources
        if path != SAFE_PARSER
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if _UNSAFE_PARSE.search(line)
    ]
    assert not offenders, "parse untrusted XML only through einvoice.xmldoc.safe:\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    ("line", "unsafe"),
    [
        ("root = etree.fromstring(data)", True),
        ("tree = lxml.etree.parse(path)", True),
        ("node = etree.XML(text)", True),
        ("tree = ElementTree.parse(path)", True),
        ("root = parse_untrusted(data)", False),
        ("# never call etree.parse on uploads", False),
    ],
)
def test_parser_pattern_catches_direct_calls(line: str, unsafe: bool) -> None:
    """The pattern flags calls to the lxml/ElementTree parsers and not the sanctioned one."""
    assert bool(_UNSAFE_PARSE.search(line)) is unsafe

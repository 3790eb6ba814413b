"""Architecture rules that review alone would let slip: layering, no import circles, and the one XML parser."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Packages that must stay pure: importable, and testable, without the web or database stack.
PURE_PACKAGES = ("einvoice.domain", "einvoice.xmldoc", "einvoice.jsondoc")
FORBIDDEN_MODULES = ("flask", "sqlalchemy", "werkzeug")
#: What the pure packages may not import, even inside a function: the stores, the use cases, the web.
FORBIDDEN_FOR_PURE = ("einvoice.storage", "einvoice.services", "einvoice.web", *FORBIDDEN_MODULES)

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
_UNSAFE_PARSE = re.compile(r"\b(?:etree|ElementTree)\s*\.\s*(?:fromstring|parse|XML|XMLParser)\s*\(")
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
    """No file but einvoice/xmldoc/safe.py calls etree.fromstring, etree.parse or etree.XML, or makes an XMLParser."""
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
        ("parser = etree.XMLParser(resolve_entities=False)", True),
        ("tree = ElementTree.parse(path)", True),
        ("root = parse_untrusted(data)", False),
        ("# never call etree.parse on uploads", False),
    ],
)
def test_parser_pattern_catches_direct_calls(line: str, unsafe: bool) -> None:
    """The pattern flags calls to the lxml/ElementTree parsers and not the sanctioned one."""
    assert bool(_UNSAFE_PARSE.search(line)) is unsafe


def _module_files() -> dict[str, Path]:
    """Return every module of the einvoice package by dotted name (a package by its own name)."""
    found = {}
    for path in sorted((ROOT / "einvoice").rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, known: Mapping[str, Path]) -> set[str]:
    """Return what module ``name`` imports anywhere in its file (inside functions too): our modules, others' roots.

    ``from a.b import c`` is an import of ``a.b.c`` when that is a module, else of ``a.b``. Imports under
    ``if TYPE_CHECKING:`` are not made at run time and are left out.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    skipped = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            found.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names)
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    """Return, for every module of einvoice, the modules it imports (ours by full name, others as written)."""
    known = _module_files()
    return {name: _imports(name, path, known) for name, path in known.items()}


def import_circles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Return every group of modules that import each other, directly or round a circle (Tarjan's components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in graph.get(module, ()):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = [stack.pop()]
            while group[-1] != module:
                group.append(stack.pop())
            if len(group) > 1:
                circles.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return circles


def test_no_import_circle_in_einvoice() -> None:
    """No module of einvoice imports, directly or round a circle, a module that imports it back (lazy imports too)."""
    graph = import_graph()
    assert "einvoice.settings" in graph["einvoice.web.app"]
    assert import_circles(graph) == []


@pytest.mark.parametrize(
    ("graph", "circles"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c"}}, [["a", "b"], ["c", "d"]]),
        ({"a": {"b", "flask"}, "b": {"c"}, "c": set()}, []),
    ],
)
def test_circle_finder_finds_every_circle(graph: dict[str, set[str]], circles: list[list[str]]) -> None:
    """The circle finder reports each group of mutually importing modules, and nothing for a tree."""
    assert sorted(import_circles(graph)) == circles


def test_import_graph_sees_imports_inside_functions(tmp_path: Path) -> None:
    """A lazy import inside a function counts; one under ``if TYPE_CHECKING:`` does not."""
    source = tmp_path / "lazy.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from einvoice.web import app\n"
        "def f():\n    from einvoice.storage.engine import make_engine\n",
        encoding="utf-8",
    )
    found = _imports("einvoice.lazy", source, _module_files())
    assert "einvoice.storage.engine" in found
    assert "einvoice.web.app" not in found


def test_pure_packages_import_no_storage_services_or_flask() -> None:
    """No module of domain/ or xmldoc/ imports storage, services, the web layer, Flask or SQLAlchemy anywhere."""
    offenders = [
        f"{module} imports {target}"
        for module, targets in sorted(import_graph().items())
        if module.startswith(PURE_PACKAGES)
        for target in sorted(targets)
        if any(target == banned or target.startswith(banned + ".") for banned in FORBIDDEN_FOR_PURE)
    ]
    assert not offenders, "\n".join(offenders)

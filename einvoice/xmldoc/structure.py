"""The children of each element, checked in Python so that every misplaced, missing or unknown child is reported.

libxml2 stops checking a parent at its first content error: a missing ``HDCTTChinh`` hides every later fault of
``TTChung``, and even the values of the children after it go unchecked. So validation runs in two passes:

1. :func:`structure_problems` reads the content models of our XSDs (each ``xs:complexType`` whose content is a plain
   ``xs:sequence`` of ``xs:element``) and reports, for every element of the document, each unknown child, each child
   out of order, each child repeated too often and each required child missing;
2. :func:`values_schema` is the same XSD with every element of those sequences made optional and repeatable, run
   on :func:`in_schema_order` (a copy whose children are put in schema order, unknown ones removed): libxml2 then
   reports every value fault, and the content errors left to it are those of the few types with an ``xs:choice``.

Only our own schema files are read here, through the one hardened parser.
"""

from __future__ import annotations

import bisect
import copy
import threading
from dataclasses import dataclass
from functools import cache

from lxml import etree

from einvoice.domain.errors import Problem
from einvoice.resources import schemas_dir
from einvoice.xmldoc.safe import parse_untrusted

_XS = "{http://www.w3.org/2001/XMLSchema}"
_UNBOUNDED = 1 << 30
_local = threading.local()


@dataclass(frozen=True, slots=True)
class Child:
    """One ``xs:element`` of a sequence: its name, type and occurrences."""

    name: str
    type_name: str
    min_occurs: int
    max_occurs: int


@dataclass(frozen=True, slots=True)
class Model:
    """A complex type: its sequence (None with a choice or a wildcard) and the types of its children."""

    sequence: tuple[Child, ...] | None
    child_types: dict[str, str]

    def position(self, tag: str) -> int | None:
        """Return the index of ``tag`` in the sequence, or None when it is not declared there."""
        assert self.sequence is not None
        return next((i for i, child in enumerate(self.sequence) if child.name == tag), None)


@dataclass(frozen=True, slots=True)
class Schema:
    """The content models of one schema file (with its includes) and the types of its global elements."""

    models: dict[str, Model]
    roots: dict[str, str]

    def model_of(self, type_name: str | None) -> Model | None:
        """Return the model of a complex type, None for a simple type."""
        return self.models.get(type_name) if type_name else None


def _occurs(value: str | None, default: int = 1) -> int:
    if value is None:
        return default
    return _UNBOUNDED if value == "unbounded" else int(value)


def _inlined(file_name: str) -> etree._Element:
    """Return the schema tree of ``file_name`` with its chameleon ``xs:include`` replaced by the included content."""
    folder = schemas_dir()
    root = parse_untrusted((folder / file_name).read_bytes())
    for include in root.findall(f"{_XS}include"):
        included = _inlined(include.get("schemaLocation") or "")
        position = root.index(include)
        root.remove(include)
        for offset, node in enumerate(included):
            root.insert(position + offset, copy.deepcopy(node))
    return root


def _model(complex_type: etree._Element) -> Model:
    declared = complex_type.iter(f"{_XS}element")
    child_types = {str(el.get("name")): str(el.get("type")) for el in declared}
    content = [node for node in complex_type if isinstance(node.tag, str) and node.tag != f"{_XS}annotation"]
    content = [node for node in content if node.tag not in (f"{_XS}attribute", f"{_XS}anyAttribute")]
    if len(content) != 1 or content[0].tag != f"{_XS}sequence":
        return Model(None, child_types)
    parts = [node for node in content[0] if isinstance(node.tag, str) and node.tag != f"{_XS}annotation"]
    if any(part.tag != f"{_XS}element" for part in parts):
        return Model(None, child_types)
    sequence = tuple(
        Child(str(p.get("name")), str(p.get("type")), _occurs(p.get("minOccurs")), _occurs(p.get("maxOccurs")))
        for p in parts
    )
    return Model(sequence, child_types)


@cache
def schema_models(file_name: str) -> Schema:
    """Return the content models declared by ``file_name`` and its includes (read once per process)."""
    root = _inlined(file_name)
    models = {str(t.get("name")): _model(t) for t in root.iter(f"{_XS}complexType") if t.get("name")}
    roots = {str(el.get("name")): str(el.get("type")) for el in root.findall(f"{_XS}element")}
    return Schema(models, roots)


def values_schema(file_name: str) -> etree.XMLSchema:
    """Return ``file_name`` compiled with every element of a plain sequence optional and repeatable (per thread)."""
    cache_: dict[str, etree.XMLSchema] | None = getattr(_local, "values", None)
    if cache_ is None:
        cache_ = _local.values = {}
    compiled = cache_.get(file_name)
    if compiled is None:
        root = _inlined(file_name)
        for complex_type in root.iter(f"{_XS}complexType"):
            if _model(complex_type).sequence is None:
                continue
            sequence = complex_type.find(f"{_XS}sequence")
            assert sequence is not None
            for element in sequence.findall(f"{_XS}element"):
                element.set("minOccurs", "0")
                element.set("maxOccurs", "unbounded")
        compiled = cache_[file_name] = etree.XMLSchema(root)
    return compiled


@dataclass(frozen=True, slots=True)
class Fault:
    """One structural fault: its kind (unknown, order, order-after, repeated, missing), parent, child and path."""

    kind: str
    parent: str
    child: str
    path: str
    detail: str = ""

    def problem(self) -> Problem:
        """Return the fault as an XSD problem, in both languages."""
        vi, en = _MESSAGES[self.kind]
        code = "XSD_ORDER" if self.kind.startswith("order") else "XSD_ELEMENT"
        return Problem(
            code,
            self.path,
            vi.format(child=self.child, parent=self.parent, detail=self.detail),
            en.format(child=self.child, parent=self.parent, detail=self.detail),
        )


_MESSAGES = {
    "unknown": (
        "Phần tử <{child}> không được phép trong <{parent}>.",
        "element <{child}> is not allowed in <{parent}>",
    ),
    "order": (
        "Phần tử <{child}> sai vị trí: phải đứng trước <{detail}>.",
        "element <{child}> is out of order: it must come before <{detail}>",
    ),
    "order-after": (
        "Phần tử <{child}> sai vị trí: phải đứng sau <{detail}>.",
        "element <{child}> is out of order: it must come after <{detail}>",
    ),
    "repeated": (
        "Phần tử <{child}> xuất hiện quá số lần cho phép.",
        "element <{child}> occurs more often than allowed",
    ),
    "missing": (
        "Thiếu phần tử bắt buộc <{child}> trong <{parent}>.",
        "required element <{child}> of <{parent}> is missing",
    ),
}


def _elements(parent: etree._Element) -> list[etree._Element]:
    return [child for child in parent if isinstance(child.tag, str)]


def structure_faults(root: etree._Element, schema: Schema) -> list[Fault]:
    """Return every structural fault of ``root`` and its descendants, in document order."""
    faults: list[Fault] = []
    tree = root.getroottree()
    pending: list[tuple[etree._Element, str | None]] = [(root, schema.roots.get(str(root.tag)))]
    while pending:
        element, type_name = pending.pop()
        model = schema.model_of(type_name)
        if model is None:
            continue
        children = _elements(element)
        if model.sequence is not None:
            faults += _faults_of(element, children, model, tree)
        pending += [(child, model.child_types.get(str(child.tag))) for child in reversed(children)]
    return faults


def _faults_of(
    parent: etree._Element, children: list[etree._Element], model: Model, tree: etree._ElementTree
) -> list[Fault]:
    assert model.sequence is not None
    name = str(parent.tag)
    faults: list[Fault] = []
    seen: dict[str, int] = {}
    placed: list[tuple[int, etree._Element]] = []
    for child in children:
        tag, path = str(child.tag), tree.getpath(child)
        index = model.position(tag)
        if index is None:
            faults.append(Fault("unknown", name, tag, path))
            continue
        seen[tag] = seen.get(tag, 0) + 1
        if seen[tag] > model.sequence[index].max_occurs:
            faults.append(Fault("repeated", name, tag, path))
        placed.append((index, child))
    faults += _order_faults(name, placed, tree)
    base = tree.getpath(parent)
    faults += [
        Fault("missing", name, c.name, f"{base}/{c.name}") for c in model.sequence if c.min_occurs > seen.get(c.name, 0)
    ]
    return faults


def _order_faults(name: str, placed: list[tuple[int, etree._Element]], tree: etree._ElementTree) -> list[Fault]:
    """Report the fewest children out of order: those outside a longest run already in sequence order."""
    kept = _longest_ordered_run([index for index, _ in placed])
    anchors = [placed[i] for i in sorted(kept)]
    faults = []
    for position, (index, child) in enumerate(placed):
        if position in kept:
            continue
        later = next((el for i, el in anchors if i > index), None)
        if later is not None:
            faults.append(Fault("order", name, str(child.tag), tree.getpath(child), str(later.tag)))
        else:
            faults.append(Fault("order-after", name, str(child.tag), tree.getpath(child), str(anchors[-1][1].tag)))
    return faults


def _longest_ordered_run(indices: list[int]) -> set[int]:
    """Return the positions of a longest non-decreasing subsequence of ``indices`` (patience sorting)."""
    tails: list[int] = []  # tails[k]: position of the smallest last value of a run of length k + 1
    previous: list[int | None] = [None] * len(indices)
    for position, value in enumerate(indices):
        k = bisect.bisect_right([indices[t] for t in tails], value)
        previous[position] = tails[k - 1] if k else None
        if k == len(tails):
            tails.append(position)
        else:
            tails[k] = position
    run: set[int] = set()
    cursor = tails[-1] if tails else None
    while cursor is not None:
        run.add(cursor)
        cursor = previous[cursor]
    return run


def in_schema_order(root: etree._Element, schema: Schema) -> etree._Element:
    """Return a copy of ``root`` whose children follow their sequence and hold no undeclared element."""
    ordered = copy.deepcopy(root)
    pending: list[tuple[etree._Element, str | None]] = [(ordered, schema.roots.get(str(ordered.tag)))]
    while pending:
        element, type_name = pending.pop()
        model = schema.model_of(type_name)
        if model is None:
            continue
        children = _elements(element)
        if model.sequence is not None:
            declared = [c for c in children if model.position(str(c.tag)) is not None]
            for child in children:
                if model.position(str(child.tag)) is None:
                    element.remove(child)
            declared.sort(key=lambda c: model.position(str(c.tag)) or 0)
            for child in declared:
                element.append(child)  # appending an existing child moves it: the result is in sequence order
            children = declared
        pending += [(child, model.child_types.get(str(child.tag))) for child in children]
    return ordered

"""Validation of an XML document: the hardened parse, its XSD, then the business rules, every problem collected.

Two profiles (:mod:`einvoice.xmldoc.profiles`): ``validate_document`` judges what we emit, strictly, and is what the
issuing transaction runs (given the builder's :class:`~einvoice.xmldoc.build.BuiltDocument`, it does not read the
XML back, see :func:`_judge_built`); ``judge_document`` with :attr:`Profile.READ` judges what others emit as the
authority does, with warnings for what is unusual but accepted. libxml2 reports one content error per element at
most, so a document that fails its XSD is checked again in two passes (:mod:`einvoice.xmldoc.structure`) that report
every fault.

Schemas are compiled once per thread (libxml2 validation contexts are not shared across threads) and validated with
lxml, which measured about 100× faster than xmlschema here. XSD messages keep libxml2's English text and get a
Vietnamese one from :data:`_VI_BY_KIND`; their code is ``XSD_`` + the kind of fault.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from lxml import etree

from einvoice.domain.errors import InvalidDocumentError, Problem, UnsafeInputError
from einvoice.resources import schemas_dir
from einvoice.xmldoc import formats, reading
from einvoice.xmldoc.build import BuiltDocument
from einvoice.xmldoc.parse import load_root, read_document
from einvoice.xmldoc.profiles import Profile
from einvoice.xmldoc.rules import judge_rules
from einvoice.xmldoc.structure import in_schema_order, schema_models, structure_faults, values_schema

_SCHEMA_FILES = {row.root: row.schema for row in formats.FORMATS.values()}
_local = threading.local()

#: libxml2 error kinds (the end of ``type_name``) → a stable code suffix and a Vietnamese message.
_VI_BY_KIND = {
    "PATTERN_VALID": ("PATTERN", "Giá trị không đúng định dạng quy định."),
    "MAXLENGTH_VALID": ("LENGTH", "Giá trị dài quá độ dài cho phép."),
    "MINLENGTH_VALID": ("LENGTH", "Giá trị ngắn hơn độ dài tối thiểu."),
    "LENGTH_VALID": ("LENGTH", "Giá trị không đúng độ dài quy định."),
    "ENUMERATION_VALID": ("ENUMERATION", "Giá trị không thuộc danh sách cho phép."),
    "ELT_1": ("ELEMENT", "Phần tử không được khai báo trong lược đồ."),
    "SCHEMAV_ELEMENT_CONTENT": ("ELEMENT", "Phần tử sai vị trí, không được phép hoặc thiếu phần tử bắt buộc."),
    "COMPLEX_TYPE_2_4": ("ELEMENT", "Phần tử sai vị trí, không được phép hoặc thiếu phần tử bắt buộc."),
    "COMPLEX_TYPE_2_3": ("CONTENT", "Phần tử không được chứa văn bản."),
    "COMPLEX_TYPE_4": ("ATTRIBUTE", "Thiếu thuộc tính bắt buộc."),
    "DATATYPE_VALID_1_2_1": ("TYPE", "Giá trị không đúng kiểu dữ liệu."),
    "TOTALDIGITS_VALID": ("DIGITS", "Số có quá nhiều chữ số."),
    "FRACTIONDIGITS_VALID": ("DIGITS", "Số có quá nhiều chữ số thập phân."),
    "MININCLUSIVE_VALID": ("RANGE", "Giá trị nhỏ hơn mức tối thiểu."),
    "MAXINCLUSIVE_VALID": ("RANGE", "Giá trị lớn hơn mức tối đa."),
    "ELT_4_3": ("FIXED", "Giá trị phải bằng giá trị cố định của lược đồ."),
    "ELT_5_2_2_2_2": ("FIXED", "Giá trị phải bằng giá trị cố định của lược đồ."),
}


def schema_for(root_tag: str) -> etree.XMLSchema:
    """Return the compiled XSD of a document root (``HDon`` or ``BLai``), compiled once per thread."""
    cache: dict[str, etree.XMLSchema] | None = getattr(_local, "schemas", None)
    if cache is None:
        cache = _local.schemas = {}
    schema = cache.get(root_tag)
    if schema is None:
        schema = cache[root_tag] = etree.XMLSchema(file=str(schemas_dir() / _SCHEMA_FILES[root_tag]))
    return schema


def _xsd_problem(entry: etree._LogEntry) -> Problem:
    kind = entry.type_name.split("_CVC_", 1)[-1] if "_CVC_" in entry.type_name else entry.type_name
    suffix, message_vi = _VI_BY_KIND.get(kind, ("INVALID", "Không hợp lệ theo lược đồ XSD."))
    return Problem(f"XSD_{suffix}", entry.path or "/", message_vi, entry.message)


def xsd_problems(root: etree._Element) -> list[Problem]:
    """Validate ``root`` against its XSD and return every problem, not only libxml2's first one per element."""
    schema = schema_for(root.tag)
    if schema.validate(root):
        return []
    faults = structure_faults(root, schema_models(_SCHEMA_FILES[str(root.tag)]))
    problems = [fault.problem() for fault in faults] + _value_problems(root)
    return problems or _entries(schema)


def _value_problems(root: etree._Element) -> list[Problem]:
    """Return the faults of values, checked on a copy in schema order so that no content error hides them."""
    file_name = _SCHEMA_FILES[str(root.tag)]
    ordered = in_schema_order(root, schema_models(file_name))
    schema = values_schema(file_name)
    return [] if schema.validate(ordered) else _entries(schema)


def _entries(schema: etree.XMLSchema) -> list[Problem]:
    # lxml-stubs lacks _ErrorLog.__iter__; the log is iterable over _LogEntry objects.
    return [_xsd_problem(entry) for entry in cast(Iterable[etree._LogEntry], schema.error_log)]


def _read_xsd_problems(root: etree._Element) -> tuple[etree._Element, list[Problem], list[Problem]]:
    """Return a relaxed copy of ``root`` and its (errors, warnings) under the read profile (see :mod:`.reading`)."""
    relaxed = copy.deepcopy(root)
    warnings = reading.relax_before_structure(relaxed)
    empty_warnings, dropped = reading.drop_empty_elements(relaxed)
    errors: list[Problem] = []
    for fault in structure_faults(relaxed, schema_models(_SCHEMA_FILES[str(relaxed.tag)])):
        try:
            warning = reading.judge_fault(fault, dropped)
        except KeyError:
            errors.append(fault.problem())
        else:
            warnings += [warning] if warning is not None else []
    return relaxed, errors + _value_problems(relaxed), warnings + empty_warnings


@dataclass(frozen=True, slots=True)
class Judgement:
    """The verdict on a document's content: errors make it invalid, warnings never do."""

    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...] = ()

    @property
    def valid(self) -> bool:
        """Whether the document has no error."""
        return not self.errors


def judge_document(xml: bytes, profile: Profile = Profile.READ) -> Judgement:
    """Judge an invoice or receipt under ``profile``: unsafe or malformed XML, XSD, unreadable values, rules."""
    try:
        root = load_root(xml)
    except UnsafeInputError as exc:
        return Judgement((exc.problem,))
    except InvalidDocumentError as exc:
        return Judgement(tuple(exc.problems))
    standalone = _standalone(root)
    if profile is Profile.READ:
        # The relaxed copy is also what is read: a 2021 "đ" is read as VND, paths start at /HDon as the XSD's do.
        root, errors, warnings = _read_xsd_problems(standalone)
    else:
        errors, warnings = xsd_problems(standalone), []
    document, reading_problems = read_document(root)
    rule_errors, rule_warnings = judge_rules(document, profile)
    return Judgement(tuple(errors + reading_problems + rule_errors), tuple(warnings + rule_warnings))


def validate_document(xml: bytes | BuiltDocument, profile: Profile = Profile.EMIT) -> list[Problem]:
    """Return every error of an invoice or receipt under ``profile`` (strict by default: what we issue).

    ``xml`` is bytes from anywhere, or what our builder just made (at issue time), judged then by :func:`_judge_built`.
    """
    if isinstance(xml, BuiltDocument):
        return _judge_built(xml) if profile is Profile.EMIT else validate_document(xml.xml, profile)
    return list(judge_document(xml, profile).errors)


def _judge_built(built: BuiltDocument) -> list[Problem]:
    """Judge what the builder made without reading its XML back: the XSD on its parsed tree (the one the signer
    canonicalises), the rules on the document it was built from.

    Reading back gives that same document (``tests/xmldoc/test_issue_time.py``), so the rules would say the same of
    it. Whenever anything is wrong, the bytes are judged in full, read back as ever: a refused document lists exactly
    the problems, codes and paths it always did.
    """
    root = built.data.getparent()
    if built.document is None or root is None:
        return validate_document(built.xml)
    if schema_for(str(root.tag)).validate(root) and not judge_rules(built.document, Profile.EMIT)[0]:
        return []
    return validate_document(built.xml)


def _standalone(root: etree._Element) -> etree._Element:
    """Return ``root`` as a document of its own, so that XSD paths start at ``/HDon`` even inside a ``TDiep``."""
    if root.getparent() is None:
        return root
    return copy.deepcopy(root)


def require_valid(xml: bytes) -> None:
    """Raise :class:`InvalidDocumentError` with every problem unless ``xml`` is a valid document (emit profile)."""
    problems = validate_document(xml)
    if problems:
        raise InvalidDocumentError(problems)

"""Problems found in documents, and the exception tree of the document core.

Validation never stops at the first fault: every check appends a :class:`Problem` (a stable code, the XML path of the
element concerned, and a message in Vietnamese and in English) and the caller decides what to do with the list.

Exceptions::

    EInvoiceError                  base of everything einvoice raises on purpose
    ├── InvalidDocumentError       a document has problems; ``.problems`` lists every one of them
    ├── UnsafeInputError           input refused before it was read (size, DTD, entity, malformed XML)
    └── IllegalTransition          an action the document's state does not allow (:mod:`einvoice.domain.lifecycle`)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One fault in a document: where it is, a stable code, and what is wrong in both languages."""

    code: str
    path: str
    message_vi: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        """Return the problem as a JSON-ready mapping."""
        return {
            "code": self.code,
            "path": self.path,
            "message_vi": self.message_vi,
            "message_en": self.message_en,
        }


class EInvoiceError(Exception):
    """Base class of the errors einvoice raises on purpose."""


class InvalidDocumentError(EInvoiceError):
    """A document has one or more problems; all of them are in :attr:`problems`."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        summary = "; ".join(f"{p.path}: {p.code}" for p in self.problems[:5])
        more = f" (+{len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"{len(self.problems)} problem(s): {summary}{more}")


class UnsafeInputError(EInvoiceError):
    """Input refused before it was read: too large, a DTD or entity, or not well-formed."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(f"{problem.code}: {problem.message_en}")

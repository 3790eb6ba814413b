"""The errors the use cases raise on purpose; the web layer maps each class to one HTTP status.

Exceptions::

    ServiceError                 base of the use cases' errors
    ├── NotFoundError            the thing named does not exist (or the caller may not know it does)      → 404
    ├── ForbiddenError           the caller's role or counter does not allow the action                  → 403
    ├── ConflictError            the action contradicts stored state (duplicate, clock went backwards)    → 409
    └── RequestProblemsError     the request is well-formed but wrong; ``.problems`` lists every fault    → 422

Documents that fail validation raise :class:`einvoice.domain.errors.InvalidDocumentError` (also → 422).
"""

from __future__ import annotations

from collections.abc import Iterable

from einvoice.domain.errors import Problem


class ServiceError(Exception):
    """Base class of the errors the use cases raise on purpose."""


class NotFoundError(ServiceError):
    """The thing named does not exist, or is not visible to the caller."""


class ForbiddenError(ServiceError):
    """The caller may not do this."""


class ConflictError(ServiceError):
    """The action contradicts stored state."""


class RequestProblemsError(ServiceError):
    """The request is well-formed but cannot be carried out; :attr:`problems` lists why."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{p.path}: {p.code}" for p in self.problems))


def problem(code: str, path: str, message_vi: str, message_en: str) -> RequestProblemsError:
    """Return the error for one problem, ready to raise."""
    return RequestProblemsError([Problem(code, path, message_vi, message_en)])

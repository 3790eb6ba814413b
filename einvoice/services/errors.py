"""The errors the use cases raise on purpose: a branch of the project's exception tree.

The tree, with the HTTP status of each branch, is drawn once, in :mod:`einvoice.domain.errors`.
"""

from __future__ import annotations

from collections.abc import Iterable

from einvoice.domain.errors import EInvoiceError, Problem


class ServiceError(EInvoiceError):
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

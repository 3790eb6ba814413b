"""Problems found in documents, and the one exception tree of einvoice.

Validation never stops at the first fault: every check appends a :class:`Problem` (a stable code, the path of what is
wrong, and a message in Vietnamese and in English) and the caller decides what to do with the list.

Exceptions: everything einvoice raises on purpose, with the HTTP status ``einvoice.web.errors`` answers for it (the
one place that maps them; the most specific branch wins). Each class lives in the module named beside it::

    EInvoiceError                         base of everything einvoice raises on purpose                      500
    ├── InvalidDocumentError              a document has problems; ``.problems`` lists every one of them     422
    ├── UnsafeInputError                  untrusted XML refused by ``xmldoc.safe`` before it was read (size,  422
    │                                     DTD, entity, not well-formed); ``.problem`` says which
    ├── IllegalTransition  domain.lifecycle  an action the document's state does not allow          409
    ├── UnknownRateError   domain.rates   text that is not a VAT rate; readers make it a problem of the field —
    ├── ServiceError       services.errors  base of the use cases' errors                                    422
    │   ├── NotFoundError                 the thing named does not exist (or the caller may not know it does) 404
    │   ├── ForbiddenError                the caller's role or counter does not allow the action             403
    │   ├── ConflictError                 the action contradicts stored state (duplicate, clock went back)   409
    │   │   └── NotInOpenShiftError  services.counter  the receipt to replace is not in the counter's open shift
    │   └── RequestProblemsError          the request is well-formed but wrong; ``.problems`` lists why      422
    ├── SigningError       signing.base   signing failed or was refused; ``.code`` is stable                 503
    │   ├── CredentialError               the key or certificate cannot be loaded or used (file, password)
    │   ├── CertificateRefused            the certificate may not sign this document
    │   │   ├── TaxCodeMismatch           its UID=MST: tax code is not the issuer's
    │   │   └── CertificateNotValid       it is not yet valid, or has expired, at the signing time
    │   ├── DocumentNotSignable           not an unsigned document with one empty signer slot
    │   └── RemoteSigningError            the remote signing service failed or answered nonsense
    │       ├── RemoteSigningTimeout      no signature within the time allowed (network or approval)
    │       └── RemoteSigningRejected     the key holder or the service refused to sign
    ├── RenderError        render.errors  a document could not be printed; the stored document is untouched  503
    ├── CheckUnavailable   services.check_process  an upload's check gave no verdict; its callers answer 503  —
    │   ├── CheckTimedOut                 not within ``PUBLIC_CHECK_TIMEOUT_SECONDS``
    │   └── CheckFailed                   the check process died or raised
    ├── SettingsError      settings       a setting is malformed or out of range: start-up stops             —
    ├── BackupError        storage.backup a backup cannot be written or an archive restored (commands only)  —
    ├── StatementError     finance.statements a bank statement cannot be read; the API makes it a problem    —
    └── RefusedToStart     web.runtime    production configured with development secrets or certificates     503

Refusals of verification (a bad signature, an untrusted certificate) are not exceptions: they are problems in the
verification report, which is answered with 200.
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
    """Untrusted input refused before it was read: too large, a DTD or entity, or not well-formed XML."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(f"{problem.code}: {problem.message_en}")

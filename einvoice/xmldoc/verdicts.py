"""What verification reports: a verdict per signature and per document, each reason with a stable code and an
English and a Vietnamese message.

Codes never change meaning; the messages may be reworded. ``SignatureReport.problems`` say why a signature is not
valid; ``certificate_problems`` say why its certificate is not acceptable (validity at signing time, trust);
``warnings`` never make anything invalid (SHA-1, short keys, a certificate that bends RFC 5280). Each reason is a
:class:`~einvoice.domain.errors.Problem`, like every other problem einvoice reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from lxml import etree

from einvoice.domain.errors import Problem
from einvoice.signing.certificates import is_development_certificate

#: code -> (English, Vietnamese)
MESSAGES: dict[str, tuple[str, str]] = {
    # The document as a whole
    "NOT_A_DOCUMENT": (
        "not an invoice (HDon), a receipt (BLai) or a TDiep message carrying one",
        "không phải hóa đơn (HDon), biên lai (BLai) hoặc thông điệp TDiep chứa một hóa đơn",
    ),
    "MULTIPLE_DOCUMENTS": (
        "the message carries several documents; verify them one at a time",
        "thông điệp chứa nhiều chứng từ; hãy kiểm tra từng chứng từ",
    ),
    "UNSIGNED": ("the document is not signed", "tài liệu chưa được ký số"),
    "ISSUER_SIGNATURE_MISSING": (
        "the seller's (collector's) signature is missing",
        "thiếu chữ ký số của người bán (đơn vị thu)",
    ),
    "SIGNED_DATA_AMBIGUOUS": (
        "the document does not have exactly one data element where it is read",
        "tài liệu không có đúng một phần dữ liệu tại vị trí được đọc",
    ),
    "UNEXPECTED_SIGNATURE": ("a signature sits where no signature belongs", "có chữ ký số ở vị trí không hợp lệ"),
    # One signature
    "MULTIPLE_SIGNATURES": (
        "the signature slot holds more than one signature, or other content",
        "vị trí chữ ký chứa nhiều hơn một chữ ký hoặc nội dung khác",
    ),
    "SIGNATURE_MALFORMED": ("the signature is malformed", "cấu trúc chữ ký số không hợp lệ"),
    "ALGORITHM_NOT_ALLOWED": (
        "an algorithm of the signature is not accepted",
        "thuật toán của chữ ký không được chấp nhận",
    ),
    "TRANSFORM_NOT_ALLOWED": (
        "a reference uses a transform that is not accepted",
        "tham chiếu dùng phép biến đổi không được chấp nhận",
    ),
    "REFERENCE_COUNT": (
        "the signature has an unexpected number of references",
        "số lượng tham chiếu của chữ ký không đúng",
    ),
    "REFERENCE_UNRESOLVED": (
        "a reference points to nothing in the document",
        "tham chiếu không trỏ tới phần nào của tài liệu",
    ),
    "DUPLICATE_ID": (
        "an Id used by a reference is not unique in the document",
        "mã định danh (Id) được tham chiếu bị trùng lặp",
    ),
    "REFERENCE_TARGET": (
        "a reference does not cover what this signature must cover",
        "tham chiếu không trỏ tới phần dữ liệu mà chữ ký này phải ký",
    ),
    "SIGNED_ELEMENT_MISPLACED": (
        "the signed data is not the data element the document is read from",
        "phần dữ liệu được ký không phải phần dữ liệu được đọc",
    ),
    "COMMENT_IN_SIGNED_DATA": ("the signed data contains a comment", "phần dữ liệu được ký chứa chú thích (comment)"),
    "CERTIFICATE_MISSING": (
        "the signature carries no X509Certificate",
        "chữ ký không kèm chứng thư số (X509Certificate)",
    ),
    "CERTIFICATE_UNREADABLE": ("the signature's certificate cannot be read", "không đọc được chứng thư số của chữ ký"),
    "KEY_VALUE_MISMATCH": (
        "the key in KeyValue is not the certificate's key",
        "khóa công khai trong KeyValue không khớp với chứng thư số",
    ),
    "DIGEST_MISMATCH": (
        "the signed data was changed after signing (digest mismatch)",
        "dữ liệu đã bị thay đổi sau khi ký (giá trị băm không khớp)",
    ),
    "SIGNATURE_INVALID": (
        "the signature value does not verify with the certificate",
        "giá trị chữ ký không khớp với chứng thư số",
    ),
    "SIGNING_TIME_MISSING": ("the signature carries no signing time", "chữ ký không có thời điểm ký"),
    "SIGNING_TIME_MALFORMED": ("the signing time cannot be read", "không đọc được thời điểm ký"),
    # The certificate of a valid signature
    "CERTIFICATE_NOT_VALID_AT_SIGNING_TIME": (
        "the certificate was not valid at the signing time",
        "chứng thư số không có hiệu lực tại thời điểm ký",
    ),
    "CHAIN_UNTRUSTED": (
        "the certificate does not chain to a trusted root",
        "chứng thư số không được cấp bởi tổ chức chứng thực tin cậy",
    ),
    "DEVELOPMENT_CERTIFICATE": (
        "a development certificate is not accepted here",
        "chứng thư số thử nghiệm (development) không được chấp nhận",
    ),
    # Warnings
    "WEAK_ALGORITHM_SHA1": ("the signature uses SHA-1, a weak algorithm", "chữ ký dùng SHA-1, thuật toán yếu"),
    "WEAK_KEY": ("the RSA key is shorter than 2048 bits", "khóa RSA ngắn hơn 2048 bit"),
    "CERTIFICATE_NONSTANDARD": ("the certificate does not follow RFC 5280", "chứng thư số không tuân thủ RFC 5280"),
    "TAX_CODE_MISSING": ("the certificate carries no UID=MST: tax code", "chứng thư số không có mã số thuế (UID=MST:)"),
    "TAX_CODE_DIFFERS": (
        "the certificate's tax code differs from the signed seller's tax code",
        "mã số thuế trong chứng thư số khác mã số thuế người bán trong dữ liệu đã ký",
    ),
    "SIGNATURE_NOT_CHECKED": ("a further signature was not checked", "một chữ ký khác không được kiểm tra"),
    # Reasons of a verdict (see :func:`verdict_of`), in words a citizen understands
    "NOT_READABLE": (
        "the file is not an e-invoice or e-receipt that can be read",
        "tệp không phải hóa đơn, biên lai điện tử đọc được",
    ),
    "NOT_SIGNED": ("the issuer has not signed the document", "chứng từ chưa được đơn vị phát hành ký số"),
    "CHANGED_AFTER_SIGNING": ("the content was changed after it was signed", "nội dung đã bị sửa sau khi ký"),
    "SIGNATURE_BROKEN": ("the signature does not match the document", "chữ ký số không khớp với nội dung chứng từ"),
    "SIGNATURE_NONCONFORMING": (
        "the signature is not made the way the rules require",
        "chữ ký số không được lập đúng quy định",
    ),
    "CERTIFICATE_EXPIRED_AT_SIGNING": (
        "the signer's certificate was not valid when it signed",
        "chứng thư số của người ký đã hết hạn hoặc chưa có hiệu lực vào lúc ký",
    ),
    "CONTENT_NOT_CONFORMING": ("the content does not follow the rules", "nội dung chứng từ không đúng quy định"),
    "DIFFERS_FROM_ISSUED": (
        "it differs from the document this service issued under the same number",
        "khác với chứng từ gốc đã phát hành cùng số",
    ),
    "NEVER_ISSUED": (
        "this service issued no document with this number in this series",
        "đơn vị chưa phát hành chứng từ nào có số này trong ký hiệu này",
    ),
    "SIGNER_NOT_TRUSTED": (
        "the signer's certificate was not issued by a trusted certification authority",
        "chứng thư số của người ký không do tổ chức chứng thực chữ ký số được tin cậy cấp",
    ),
    "SIGNER_TEST_CERTIFICATE": (
        "the document is signed with a test certificate",
        "chứng từ được ký bằng chứng thư số dùng để thử nghiệm",
    ),
    "SIGNER_NOT_ISSUER": (
        "the signer's certificate does not carry the issuer's tax code",
        "chứng thư số của người ký không mang mã số thuế của đơn vị phát hành",
    ),
}


def problem(code: str, detail: str | None = None, *, path: str = "") -> Problem:
    """Return the problem ``code`` (at ``path``), with ``detail`` appended to both messages when given."""
    english, vietnamese = MESSAGES[code]
    suffix = f": {detail}" if detail else ""
    return Problem(code=code, path=path, message_vi=vietnamese + suffix, message_en=english + suffix)


@dataclass(frozen=True)
class SignatureReport:
    """The verdict on one signature (``role`` is its slot under ``DSCKS``: NBan, NMua, CQT or DVThu)."""

    role: str
    problems: tuple[Problem, ...] = ()
    certificate_problems: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()
    subject: str | None = None
    tax_code: str | None = None
    certificate: x509.Certificate | None = field(default=None, repr=False)
    signing_time: datetime | None = None
    certificate_valid_at_signing_time: bool | None = None
    #: True: chains to a configured root; False: does not; None: no trust store was given.
    trusted: bool | None = None
    signature_algorithm: str | None = None
    digest_algorithms: tuple[str, ...] = ()
    canonicalization: str | None = None
    #: The signed DLHDon/DLBLai as the verifier returned it: read business data from here only.
    signed_data: etree._Element | None = field(default=None, repr=False)
    #: CQT only: the signed tax-authority code (MCCQT).
    signed_code: str | None = None

    @property
    def valid(self) -> bool:
        """Tell whether the signature is cryptographically and structurally valid."""
        return not self.problems

    @property
    def reason(self) -> Problem | None:
        """Return the first reason the signature is invalid, or None."""
        return self.problems[0] if self.problems else None

    @property
    def accepted(self) -> bool:
        """Tell whether the signature is valid, by a certificate valid then and chaining to a trusted root."""
        return self.valid and self.certificate_valid_at_signing_time is True and self.trusted is True


@dataclass(frozen=True)
class VerificationReport:
    """The verdict on a document: its own problems, and one report per signature found in its slots."""

    kind: str | None
    signatures: tuple[SignatureReport, ...] = ()
    problems: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()

    @property
    def signed(self) -> bool:
        """Tell whether any signature slot is filled."""
        return bool(self.signatures)

    @property
    def valid(self) -> bool:
        """Tell whether the document is signed, has no problem, and every signature in it is valid."""
        return not self.problems and self.signed and all(report.valid for report in self.signatures)

    @property
    def accepted(self) -> bool:
        """Tell whether the document is valid and every signature is accepted (certificate valid and trusted)."""
        return self.valid and all(report.accepted for report in self.signatures)

    def signature(self, role: str) -> SignatureReport | None:
        """Return the report on the signature in slot ``role``, or None when that slot is empty."""
        return next((report for report in self.signatures if report.role == role), None)

    @property
    def signed_data(self) -> etree._Element | None:
        """Return the issuer's signed DLHDon/DLBLai when the document is valid, else None."""
        if not self.valid:
            return None
        return next((report.signed_data for report in self.signatures if report.signed_data is not None), None)


# --- From a verification to what people read ----------------------------------------------------------------------

#: The codes of :data:`MESSAGES` that are reasons of a verdict (:func:`verdict_of`), not outcomes of the verifier.
VERDICT_REASONS = frozenset(
    {
        "CERTIFICATE_EXPIRED_AT_SIGNING",
        "CHANGED_AFTER_SIGNING",
        "CONTENT_NOT_CONFORMING",
        "DIFFERS_FROM_ISSUED",
        "NEVER_ISSUED",
        "NOT_READABLE",
        "NOT_SIGNED",
        "SIGNATURE_BROKEN",
        "SIGNATURE_NONCONFORMING",
        "SIGNER_NOT_ISSUER",
        "SIGNER_NOT_TRUSTED",
        "SIGNER_TEST_CERTIFICATE",
    }
)

#: The three outcomes of a check (ETSI EN 319 102-1: passed, indeterminate, failed).
VALID, UNCONFIRMED, INVALID = "valid", "unconfirmed", "invalid"
HEADLINES = {
    VALID: ("Valid", "Hợp lệ"),
    UNCONFIRMED: ("The signer could not be confirmed", "Chưa xác thực được người ký"),
    INVALID: ("Not valid", "Không hợp lệ"),
}
MISMATCH_HEADLINE = ("Does not match the document issued", "Không khớp với chứng từ đã phát hành")
_UNREADABLE = {"XML_MALFORMED", "XML_DTD_FORBIDDEN", "XML_ENTITY_FORBIDDEN", "XML_TOO_LARGE", "NOT_A_DOCUMENT"}
_UNSIGNED = {"UNSIGNED", "ISSUER_SIGNATURE_MISSING", "MULTIPLE_DOCUMENTS"}
_BROKEN = {"DIGEST_MISMATCH": "CHANGED_AFTER_SIGNING", "SIGNATURE_INVALID": "SIGNATURE_BROKEN"}
_NOT_THE_ISSUER = {"TAX_CODE_MISSING", "TAX_CODE_DIFFERS"}


@dataclass(frozen=True)
class Provenance:
    """What this service knows of the document an upload names (see :mod:`einvoice.xmldoc.compare`).

    ``issued`` is None when the upload names nothing we issue; False when it names one of our series but a number we
    never issued; True when we issued it, and then ``identical`` and ``differences`` say how the upload compares.
    """

    issued: bool | None = None
    identical: bool = False
    differences: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """One headline of three outcomes, and the reasons behind it (plain words, stable codes)."""

    outcome: str  # valid | unconfirmed | invalid
    headline_en: str
    headline_vi: str
    reasons: tuple[Problem, ...] = ()
    provenance: Provenance = field(default_factory=Provenance)

    @property
    def matches_issued(self) -> bool:
        """Tell whether the upload is the very document this service issued."""
        return self.provenance.issued is True and self.provenance.identical


def verdict_of(
    report: VerificationReport,
    content: tuple[Problem, ...] | list[Problem],
    provenance: Provenance | None = None,
    *,
    production: bool,
) -> Verdict:
    """Return the verdict people read: valid only when intact, conforming, and signed by a confirmed signer.

    Red (invalid) when anything is wrong: unreadable, unsigned, changed after signing, a certificate not valid when
    it signed, content against the rules, or a difference from the document we issued under the same identity
    (whatever its signature says). Amber (unconfirmed) when all that is fine but a signer cannot be confirmed: its
    certificate does not chain to the trust store at the signing time, is a test certificate, or does not carry the
    issuer's tax code. Identical to what we issued confirms the issuer's signature (a test one only in development).
    """
    known = provenance or Provenance()
    failures = _failures(report, content, known)
    if failures:
        mismatch = known.issued is False or (known.issued is True and not known.identical)
        english, vietnamese = MISMATCH_HEADLINE if mismatch else HEADLINES[INVALID]
        return Verdict(INVALID, english, vietnamese, failures, known)
    doubts: dict[str, Problem] = {}
    for signature in report.signatures:
        for doubt in _signer_doubts(signature, report, known, production=production):
            doubts.setdefault(doubt.code, doubt)
    outcome = UNCONFIRMED if doubts else VALID
    return Verdict(outcome, *HEADLINES[outcome], tuple(doubts.values()), known)


def _failures(
    report: VerificationReport, content: tuple[Problem, ...] | list[Problem], known: Provenance
) -> tuple[Problem, ...]:
    found: dict[str, Problem] = {}
    if known.issued is True and not known.identical:
        found["DIFFERS_FROM_ISSUED"] = problem("DIFFERS_FROM_ISSUED", ", ".join(known.differences))
    elif known.issued is False:
        found["NEVER_ISSUED"] = problem("NEVER_ISSUED")
    for code in (p.code for p in report.problems):
        reason = (
            "NOT_READABLE" if code in _UNREADABLE else "NOT_SIGNED" if code in _UNSIGNED else "SIGNATURE_NONCONFORMING"
        )
        found.setdefault(reason, problem(reason))
    for signature in report.signatures:
        for code in (p.code for p in signature.problems):
            reason = _BROKEN.get(code, "SIGNATURE_NONCONFORMING")
            found.setdefault(reason, problem(reason))
        if signature.valid and signature.certificate_valid_at_signing_time is False:
            found.setdefault("CERTIFICATE_EXPIRED_AT_SIGNING", problem("CERTIFICATE_EXPIRED_AT_SIGNING"))
    if content and "NOT_READABLE" not in found:
        found["CONTENT_NOT_CONFORMING"] = problem("CONTENT_NOT_CONFORMING")
    return tuple(found.values())


def _signer_doubts(
    signature: SignatureReport, report: VerificationReport, known: Provenance, *, production: bool
) -> list[Problem]:
    """Return why the signer of a valid ``signature`` cannot be confirmed (empty when it is confirmed)."""
    test_certificate = signature.certificate is not None and is_development_certificate(signature.certificate)
    if production and test_certificate:
        return [problem("SIGNER_TEST_CERTIFICATE")]
    issuer = report.signatures[0].role == signature.role and signature.role in _ISSUER_ROLES
    if known.issued is True and known.identical and (issuer or (test_certificate and signature.trusted is True)):
        # The very bytes we issued and signed: our own signature, whatever the trust store says; in development, the
        # simulated authority's test signature on the coded record we stored, chained to its development root.
        return []
    doubts = []
    if test_certificate:
        doubts.append(problem("SIGNER_TEST_CERTIFICATE"))  # trusted only on documents that match what we issued
    elif signature.trusted is not True:
        doubts.append(problem("SIGNER_NOT_TRUSTED"))
    if issuer and any(w.code in _NOT_THE_ISSUER for w in signature.warnings):
        doubts.append(problem("SIGNER_NOT_ISSUER"))
    return doubts


_ISSUER_ROLES = frozenset({"NBan", "DVThu"})

"""Verify the signatures of an invoice, a receipt, or a TDiep message carrying one, so that nobody can fool us.

Cryptography is done by signxml (``XMLVerifier``); this module pins what a signature of the national format must
look like before signxml sees it, and reads business data only from what signxml returns as signed:

* the input is parsed by :func:`~einvoice.xmldoc.safe.parse_untrusted` (no DTD, no entities, size cap);
* each slot ``DSCKS/NBan|NMua|CQT`` (receipts ``DSCKS/DVThu``) holds exactly one ``Signature``;
* issuer and buyer signatures have exactly 2 references: the ``Id`` of the ``DLHDon``/``DLBLai`` that is a child
  of the document root, and an ``Object`` of that same signature holding the ``SigningTime``; the tax authority's
  ``CQT`` signature has 3: ``DLHDon``, ``MCCQT`` (a child of the root) and its own ``Object``;
* each referenced ``Id`` occurs once in the whole document; only C14N and enveloped-signature transforms; no
  comment inside signed data; a ``KeyValue`` beside the certificate must be the certificate's key.

The real-world variants listed in the fixtures' SOURCES.md are accepted: C14N WithComments for ``SignedInfo``, no
``Id`` on ``Signature``, any ``Target``, ``xmlns=""`` on ``SignatureProperties``, a vendor reference ``Type``, an
exc-C14N then C14N transform chain, ``KeyValue`` beside ``X509Data``; SHA-1 is accepted and reported as a warning.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection
from dataclasses import dataclass, replace
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.utils import CryptographyDeprecationWarning
from lxml import etree

from einvoice.domain.errors import Problem, UnsafeInputError
from einvoice.signing.certificates import subject_text, tax_code_of, validity_problem
from einvoice.xmldoc import dsig
from einvoice.xmldoc.certinfo import KeyInfoCertificates, TrustStore, certificates_in, key_value_matches
from einvoice.xmldoc.safe import parse_untrusted
from einvoice.xmldoc.verdicts import SignatureReport, VerificationReport, problem
from einvoice.xmldoc.verify_engine import CANONICALIZATIONS, DIGESTS, SIGNATURE_METHODS, Refusal, run_signxml

__all__ = ["Problem", "SignatureReport", "TrustStore", "VerificationReport", "verify_document"]

_TRANSFORMS = CANONICALIZATIONS | {dsig.ENVELOPED}
#: Every Id/ID/id attribute (in any namespace) whose value is $v: one per element an Id reference could mean.
_ID_ATTRIBUTES_EQUAL = etree.XPath("//@*[(local-name()='Id' or local-name()='ID' or local-name()='id') and .=$v]")
_MIN_RSA_BITS = 2048


def verify_document(
    xml: bytes,
    *,
    trust: TrustStore | None = None,
    allow_development: bool = False,
    roles: Collection[str] | None = None,
) -> VerificationReport:
    """Verify every signature of ``xml`` (or only those in the slots ``roles``) and report on each."""
    try:
        top = parse_untrusted(xml)
    except UnsafeInputError as exc:
        return VerificationReport(kind=None, problems=(exc.problem,))
    document, refusal = _document_of(top)
    if document is None:
        return VerificationReport(kind=None, problems=(refusal,) if refusal else ())
    layout = dsig.LAYOUTS[str(document.tag)]
    problems: list[Problem] = []
    notes: list[Problem] = []
    if len(document.findall(layout.data)) != 1:
        problems.append(problem("SIGNED_DATA_AMBIGUOUS", f"{len(document.findall(layout.data))} × {layout.data}"))
    _classify_signatures(top, document, layout, problems, notes)
    context = _Context(top, document, layout, trust, allow_development)
    reports = []
    for role in layout.roles:
        slots = document.findall(f"DSCKS/{role}")
        if (roles is not None and role not in roles) or not any(_filled(slot) for slot in slots):
            continue
        reports.append(context.verify_slot(role, slots))
    if roles is None and not reports:
        problems.append(problem("UNSIGNED"))
    elif roles is None and reports[0].role != layout.issuer:
        problems.append(problem("ISSUER_SIGNATURE_MISSING", f"DSCKS/{layout.issuer} is empty"))
    return VerificationReport(layout.kind, tuple(reports), tuple(problems), tuple(notes))


def _document_of(top: etree._Element) -> tuple[etree._Element | None, Problem | None]:
    if top.tag in dsig.LAYOUTS:
        return top, None
    if top.tag == "TDiep":
        carried = [el for el in top.iterfind("DLieu/*") if el.tag in dsig.LAYOUTS]
        if len(carried) == 1:
            return carried[0], None
        if len(carried) > 1:
            return None, problem("MULTIPLE_DOCUMENTS", f"{len(carried)} documents in TDiep/DLieu")
    return None, problem("NOT_A_DOCUMENT", f"root element {top.tag!r}")


def _filled(slot: etree._Element) -> bool:
    return len(slot) > 0 or bool((slot.text or "").strip())


def _classify_signatures(
    top: etree._Element, document: etree._Element, layout: dsig.Layout, problems: list[Problem], notes: list[Problem]
) -> None:
    """Flag signatures outside the slots: inside the document they are an error, elsewhere merely unchecked."""
    sections = [section for section in document.findall("DSCKS") if _filled(section)]
    if len(sections) > 1:  # an extra empty <DSCKS/> is a real-world quirk (GDT's 202); two filled ones are not
        problems.append(problem("UNEXPECTED_SIGNATURE", f"{len(sections)} DSCKS elements hold signatures"))
    for signature in top.iter(dsig.ds("Signature")):
        slot = signature.getparent()
        section = slot.getparent() if slot is not None else None
        if section is not None and section.tag == "DSCKS" and section.getparent() is document:
            if slot is not None and slot.tag not in layout.roles:
                notes.append(problem("SIGNATURE_NOT_CHECKED", f"DSCKS/{slot.tag}"))
        elif document in signature.iterancestors():
            problems.append(problem("UNEXPECTED_SIGNATURE", _path(signature)))
        else:
            notes.append(problem("SIGNATURE_NOT_CHECKED", _path(signature)))


def _path(element: etree._Element) -> str:
    return element.getroottree().getpath(element)


@dataclass(frozen=True)
class _Reference:
    uri: str
    kind: str  # "data", "object", "code"
    target: etree._Element


@dataclass(frozen=True)
class _Context:
    top: etree._Element
    document: etree._Element
    layout: dsig.Layout
    trust: TrustStore | None
    allow_development: bool

    def verify_slot(self, role: str, slots: list[etree._Element]) -> SignatureReport:
        """Return the report on the signature in ``DSCKS/<role>``.

        Real certificates bend RFC 5280 (negative serial numbers, over-long names) and ``cryptography`` warns when
        it reads them; those warnings become CERTIFICATE_NONSTANDARD in the report. (``catch_warnings`` swaps the
        process-wide filters: a warning raised meanwhile by another thread may be recorded here instead.)
        """
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            report = self._verify_slot(role, slots)
        oddities = []
        for warning in caught:
            if issubclass(warning.category, (UserWarning, CryptographyDeprecationWarning)):
                oddities.append(problem("CERTIFICATE_NONSTANDARD", str(warning.message)))
            else:  # pragma: no cover - not ours to swallow
                warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
        unique = tuple(dict.fromkeys(oddities))
        return replace(report, warnings=report.warnings + unique) if unique else report

    def _verify_slot(self, role: str, slots: list[etree._Element]) -> SignatureReport:
        children = [child for slot in slots for child in slot if isinstance(child.tag, str)]
        stray_text = any((slot.text or "").strip() or any((c.tail or "").strip() for c in slot) for slot in slots)
        if len(slots) != 1 or len(children) != 1 or children[0].tag != dsig.ds("Signature") or stray_text:
            detail = f"{len(children)} elements in {len(slots)} × DSCKS/{role}"
            return SignatureReport(role, problems=(problem("MULTIPLE_SIGNATURES", detail),))
        signature = children[0]
        facts = _facts(signature)
        try:
            certificates = certificates_in(signature)
        except ValueError as exc:
            return SignatureReport(role, problems=(problem("CERTIFICATE_UNREADABLE", str(exc)),), **facts)
        if certificates is None:
            return SignatureReport(role, problems=(problem("CERTIFICATE_MISSING"),), **facts)
        facts.update(_certificate_facts(certificates))
        try:
            references = self._check_structure(role, signature, certificates)
            results = run_signxml(self.top, slots[0], certificates, len(references))
        except Refusal as refusal:
            warnings_ = _warnings(facts, certificates, role)
            return SignatureReport(role, problems=(refusal.problem,), warnings=warnings_, **facts)
        return self._report(role, references, results, certificates, facts)

    def _check_structure(
        self, role: str, signature: etree._Element, certificates: KeyInfoCertificates
    ) -> list[_Reference]:
        signed_info = signature.find(dsig.ds("SignedInfo"))
        if signed_info is None or signature.find(dsig.ds("SignatureValue")) is None:
            raise Refusal(problem("SIGNATURE_MALFORMED", "SignedInfo or SignatureValue missing"))
        method = signed_info.find(dsig.ds("SignatureMethod"))
        if method is None or method.get("Algorithm") not in {m.value for m in SIGNATURE_METHODS}:
            raise Refusal(problem("ALGORITHM_NOT_ALLOWED", f"SignatureMethod {_algorithm(method)}"))
        c14n = signed_info.find(dsig.ds("CanonicalizationMethod"))
        if c14n is None or c14n.get("Algorithm") not in CANONICALIZATIONS:
            raise Refusal(problem("ALGORITHM_NOT_ALLOWED", f"CanonicalizationMethod {_algorithm(c14n)}"))
        if key_value_matches(signature, certificates.signing) is False:
            raise Refusal(problem("KEY_VALUE_MISMATCH"))
        expected = ("data", "object", "code") if role == dsig.AUTHORITY_ROLE else ("data", "object")
        elements = signed_info.findall(dsig.ds("Reference"))
        if len(elements) != len(expected):
            raise Refusal(problem("REFERENCE_COUNT", f"{len(elements)} references, {len(expected)} expected"))
        references = [self._resolve(reference, signature) for reference in elements]
        if sorted(reference.kind for reference in references) != sorted(expected):
            kinds = ", ".join(f"{r.uri} -> {r.kind}" for r in references)
            raise Refusal(problem("REFERENCE_TARGET", kinds))
        return references

    def _resolve(self, reference: etree._Element, signature: etree._Element) -> _Reference:
        uri = reference.get("URI") or ""
        if not uri.startswith("#") or "(" in uri:
            raise Refusal(problem("REFERENCE_TARGET", f"URI {uri!r} is not a same-document #Id"))
        for transform in reference.iterfind(f"{dsig.ds('Transforms')}/{dsig.ds('Transform')}"):
            if transform.get("Algorithm") not in _TRANSFORMS or len(transform):
                raise Refusal(problem("TRANSFORM_NOT_ALLOWED", f"{transform.get('Algorithm')} on {uri}"))
        digest = reference.find(dsig.ds("DigestMethod"))
        if digest is None or digest.get("Algorithm") not in {d.value for d in DIGESTS}:
            raise Refusal(problem("ALGORITHM_NOT_ALLOWED", f"DigestMethod {_algorithm(digest)} on {uri}"))
        targets = [attribute.getparent() for attribute in cast("list[Any]", _ID_ATTRIBUTES_EQUAL(self.top, v=uri[1:]))]
        if not targets:
            raise Refusal(problem("REFERENCE_UNRESOLVED", uri))
        if len(targets) > 1:
            raise Refusal(problem("DUPLICATE_ID", f"{uri} names {len(targets)} elements"))
        target = targets[0]
        parent = target.getparent()
        if target.tag == self.layout.data and parent is self.document:
            kind = "data"
        elif target.tag == dsig.ds("Object") and parent is signature:
            kind = "object"
        elif target.tag == dsig.AUTHORITY_CODE and parent is self.document:
            kind = "code"
        elif target.tag == self.layout.data:
            raise Refusal(problem("SIGNED_ELEMENT_MISPLACED", f"{uri} is {_path(target)}"))
        else:
            kind = f"other ({_path(target)})"
        if next(target.iter(etree.Comment), None) is not None:
            raise Refusal(problem("COMMENT_IN_SIGNED_DATA", f"inside {uri}"))
        return _Reference(uri, kind, target)

    def _report(
        self,
        role: str,
        references: list[_Reference],
        results: list[Any],
        certificates: KeyInfoCertificates,
        facts: dict[str, Any],
    ) -> SignatureReport:
        signed = {reference.kind: result.signed_xml for reference, result in zip(references, results, strict=True)}
        data, properties = signed["data"], signed["object"]
        if data is None or data.tag != self.layout.data:
            return SignatureReport(role, problems=(problem("SIGNED_ELEMENT_MISPLACED", "signed data"),), **facts)
        times = [
            el.text or "" for el in properties.iter() if isinstance(el.tag, str) and _local(el.tag) == "SigningTime"
        ]
        if len(times) != 1:
            return SignatureReport(role, problems=(problem("SIGNING_TIME_MISSING"),), signed_data=data, **facts)
        try:
            signing_time = dsig.parse_signing_time(times[0])
        except ValueError:
            malformed = problem("SIGNING_TIME_MALFORMED", repr(times[0]))
            return SignatureReport(role, problems=(malformed,), signed_data=data, **facts)
        certificate_problems = []
        expiry = validity_problem(certificates.signing, signing_time)
        if expiry:
            certificate_problems.append(
                problem("CERTIFICATE_NOT_VALID_AT_SIGNING_TIME", f"the certificate is {expiry}")
            )
        trusted = None
        if self.trust is not None:
            refusal = self.trust.chain_problem(
                certificates.signing, certificates.others, at=signing_time, allow_development=self.allow_development
            )
            trusted = refusal is None
            if refusal is not None:
                certificate_problems.append(problem(*refusal))
        notes = list(_warnings(facts, certificates, role))
        if role == self.layout.issuer:
            signed_tax_code = data.findtext(f"*/{self.layout.issuer}/MST")
            if facts["tax_code"] and signed_tax_code and signed_tax_code.strip() != facts["tax_code"]:
                notes.append(problem("TAX_CODE_DIFFERS", f"{facts['tax_code']} signs for {signed_tax_code}"))
        code = signed.get("code")
        return SignatureReport(
            role,
            certificate_problems=tuple(certificate_problems),
            warnings=tuple(notes),
            signing_time=signing_time,
            certificate_valid_at_signing_time=expiry is None,
            trusted=trusted,
            signed_data=data,
            signed_code=(code.text or "").strip() if code is not None else None,
            **facts,
        )


def _facts(signature: etree._Element) -> dict[str, Any]:
    signed_info = signature.find(dsig.ds("SignedInfo"))
    if signed_info is None:
        return {}
    return {
        "signature_algorithm": _algorithm(signed_info.find(dsig.ds("SignatureMethod"))),
        "canonicalization": _algorithm(signed_info.find(dsig.ds("CanonicalizationMethod"))),
        "digest_algorithms": tuple(
            _algorithm(el) or "" for el in signed_info.iterfind(f"{dsig.ds('Reference')}/{dsig.ds('DigestMethod')}")
        ),
    }


def _certificate_facts(certificates: KeyInfoCertificates) -> dict[str, Any]:
    certificate = certificates.signing
    return {"certificate": certificate, "subject": subject_text(certificate), "tax_code": tax_code_of(certificate)}


def _warnings(facts: dict[str, Any], certificates: KeyInfoCertificates, role: str) -> tuple[Problem, ...]:
    notes = []
    algorithms = [facts.get("signature_algorithm") or "", *facts.get("digest_algorithms", ())]
    if any(algorithm.endswith(("#sha1", "#rsa-sha1")) for algorithm in algorithms):
        notes.append(problem("WEAK_ALGORITHM_SHA1"))
    key = certificates.signing.public_key()
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < _MIN_RSA_BITS:
        notes.append(problem("WEAK_KEY", f"{key.key_size} bits"))
    if facts.get("tax_code") is None and role != dsig.AUTHORITY_ROLE:
        # The authority's certificates carry no tax code by design: its signature is not for a taxpayer.
        notes.append(problem("TAX_CODE_MISSING"))
    return tuple(notes)


def _algorithm(element: etree._Element | None) -> str | None:
    return element.get("Algorithm") if element is not None else None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]

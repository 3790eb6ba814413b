"""What a printed document says about its signatures, read from the signed XML without verifying anything.

The printout shows who signed and when ("Ký bởi … Ký ngày …") and the tax authority's code (``MCCQT``) when the
document has one. Whether a signature is valid is decided by :mod:`einvoice.xmldoc.verify` on the public lookup page;
printing only reports what the XML states, as every provider's printout does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from einvoice.domain.vntime import local_time
from einvoice.signing.certificates import names_in_subject
from einvoice.xmldoc.dsig import AUTHORITY_CODE, ISSUER_SLOTS, ds, parse_signing_time


@dataclass(frozen=True, slots=True)
class SignatureFacts:
    """One signature as printed: the signer's common name and tax code, and the stated signing time."""

    slot: str  # the element under DSCKS: NBan, DVThu, CQT
    signer: str | None
    tax_code: str | None
    signing_time: datetime | None


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname


def _first_text(node: etree._Element, local_name: str) -> str | None:
    for child in node.iter():
        if isinstance(child.tag, str) and _local(child) == local_name and child.text and child.text.strip():
            return child.text.strip()
    return None


def _signing_time(text: str | None) -> datetime | None:
    """Return the signing time in Vietnam time (the XML states it without offset; other providers may add one)."""
    if text is None:
        return None
    try:
        return local_time(parse_signing_time(text))
    except ValueError:
        return None


def _facts(slot: str, signature: etree._Element) -> SignatureFacts:
    signer, tax_code = names_in_subject(_first_text(signature, "X509SubjectName") or "")
    return SignatureFacts(
        slot=slot,
        signer=signer,
        tax_code=tax_code,
        signing_time=_signing_time(_first_text(signature, "SigningTime")),
    )


def read_signatures(root: etree._Element) -> tuple[SignatureFacts, ...]:
    """Return the signatures under the document's ``DSCKS``, issuer first, in document order otherwise."""
    found: list[SignatureFacts] = []
    for holder in root.iterchildren("DSCKS"):
        for slot in holder.iterchildren():
            if not isinstance(slot.tag, str):
                continue
            for signature in slot.iterchildren(ds("Signature")):
                found.append(_facts(_local(slot), signature))
    found.sort(key=lambda facts: facts.slot not in ISSUER_SLOTS)
    return tuple(found)


def issuer_signature(signatures: tuple[SignatureFacts, ...]) -> SignatureFacts | None:
    """Return the issuer's signature among ``signatures``, if the document has one."""
    return next((s for s in signatures if s.slot in ISSUER_SLOTS), None)


def authority_code(root: etree._Element) -> str | None:
    """Return the tax authority's code (``MCCQT``) of the document, if it was given one."""
    node = root.find(AUTHORITY_CODE)
    return node.text.strip() if node is not None and node.text and node.text.strip() else None

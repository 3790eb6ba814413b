"""Sign a document once, in the profile of choice 5, by splicing the signature into its empty signer slot.

The input is the compact UTF-8 bytes the builder emits, whose ``DSCKS`` holds an empty ``<NBan/>`` (invoices) or
``<DVThu/>`` (receipts). The output is the same bytes with a ``Signature`` spliced into that element: the business
bytes never change and the document is never re-serialised. The signature is::

    Signature Id="NBan"                                  (receipts: "DVThu")
      SignedInfo: C14N 1.0, RSA-SHA256
        Reference URI="#<Id of DLHDon|DLBLai>"  enveloped-signature, SHA-256
        Reference URI="#SigningTime-NBan" Type="…#SignatureProperties"   SHA-256
      SignatureValue
      KeyInfo/X509Data: X509SubjectName, X509Certificate (signing certificate, then any intermediate CA)
      Object Id="SigningTime-NBan"/SignatureProperties/SignatureProperty[@Target="#NBan"]/SigningTime

Canonical forms come from lxml's C14N. ``SignedInfo``, ``KeyInfo`` and the ``Object`` are built as standalone
elements and canonicalised there: lxml's C14N of a non-root element whose default namespace is declared on an
ancestor wrongly adds ``xmlns=""`` to its grandchildren, and the standalone form is exact because we refuse a
document that declares any namespace around the slot. Their canonical bytes (less the namespace declaration, which
moves to ``Signature``) are the bytes spliced in, so what we signed is exactly what a verifier canonicalises.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import cast

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from einvoice.signing.base import (
    CertificateNotValid,
    CredentialError,
    DocumentNotSignable,
    Signer,
    TaxCodeMismatch,
)
from einvoice.signing.certificates import is_self_signed, subject_text, tax_code_of, validity_problem
from einvoice.xmldoc import dsig
from einvoice.xmldoc.build import BuiltDocument
from einvoice.xmldoc.safe import parse_untrusted

__all__ = ["sign_built", "sign_document", "sign_references"]

_XML_NS = "{http://www.w3.org/XML/1998/namespace}"


def sign_document(xml: bytes, signer: Signer, *, signing_time: datetime, expected_tax_code: str) -> bytes:
    """Return ``xml`` with the issuer's signature spliced into its empty ``DSCKS`` slot.

    Raises :class:`TaxCodeMismatch` or :class:`CertificateNotValid` when the certificate may not sign for
    ``expected_tax_code`` at ``signing_time`` (an aware datetime), and :class:`DocumentNotSignable` when ``xml`` is
    not an unsigned document with one empty slot.
    """
    dsig.format_signing_time(signing_time)  # refuses a naive datetime before anything else
    _check_certificate(signer, signing_time, expected_tax_code)
    root = _parse(xml)
    layout, data, data_id = _locate(root, xml)
    signature_id, object_id = layout.issuer, f"SigningTime-{layout.issuer}"
    if set(_id_values(root)) & {signature_id, object_id}:
        raise DocumentNotSignable(f"the document already uses the Id {signature_id!r} or {object_id!r}")
    data_digest = hashlib.sha256(etree.tostring(data, method="c14n")).digest()
    return _splice(xml, layout.issuer, _signature(signer, layout, data_id, data_digest, signing_time))


def sign_built(built: BuiltDocument, signer: Signer, *, signing_time: datetime, expected_tax_code: str) -> bytes:
    """Sign what the builder just made, canonicalising its in-memory data element instead of parsing the bytes again.

    The result is byte for byte what :func:`sign_document` gives for ``built.xml`` (a test holds the two to it);
    it saves the parse, which for a 50-line invoice costs about half an RSA signature. Same refusals.
    """
    dsig.format_signing_time(signing_time)  # refuses a naive datetime before anything else
    _check_certificate(signer, signing_time, expected_tax_code)
    layout = dsig.LAYOUTS[built.root_tag]
    data_digest = hashlib.sha256(etree.tostring(built.data, method="c14n")).digest()
    return _splice(built.xml, layout.issuer, _signature(signer, layout, built.data_id, data_digest, signing_time))


def _signature(signer: Signer, layout: dsig.Layout, data_id: str, data_digest: bytes, signing_time: datetime) -> bytes:
    """Return the ``Signature`` element's bytes for a data element of Id ``data_id`` whose C14N has ``data_digest``."""
    return _signature_over(signer, layout.issuer, ((f"#{data_id}", data_digest, True),), signing_time)


def sign_references(
    signer: Signer, *, signature_id: str, references: Sequence[tuple[str, bytes]], signing_time: datetime
) -> bytes:
    """Return a ``Signature`` over elements elsewhere in the same document (``(#Id, digest of their C14N)``, no
    transform) and over its own signing time: the profile of the tax authority's signature on a coded invoice."""
    dsig.format_signing_time(signing_time)
    return _signature_over(
        signer, signature_id, tuple((uri, digest, False) for uri, digest in references), signing_time
    )


def _signature_over(
    signer: Signer, signature_id: str, references: tuple[tuple[str, bytes, bool], ...], signing_time: datetime
) -> bytes:
    local_time = dsig.format_signing_time(signing_time)
    certificate = signer.certificate
    object_id = f"SigningTime-{signature_id}"
    signing_object = _standalone("Object", Id=object_id)
    properties = etree.SubElement(
        etree.SubElement(signing_object, dsig.ds("SignatureProperties")), dsig.ds("SignatureProperty")
    )
    properties.set("Target", f"#{signature_id}")
    etree.SubElement(properties, dsig.ds("SigningTime")).text = local_time
    object_c14n = _c14n(signing_object)

    signed_info = _standalone("SignedInfo")
    etree.SubElement(signed_info, dsig.ds("CanonicalizationMethod"), Algorithm=dsig.C14N)
    etree.SubElement(signed_info, dsig.ds("SignatureMethod"), Algorithm=dsig.RSA_SHA256)
    for uri, digest, enveloped in references:
        _reference(signed_info, uri, digest, enveloped=enveloped)
    _reference(signed_info, f"#{object_id}", hashlib.sha256(object_c14n).digest(), kind=dsig.SIGNATURE_PROPERTIES_TYPE)
    signed_info_c14n = _c14n(signed_info)
    signature_value = signer.sign_digest(hashlib.sha256(signed_info_c14n).digest())
    return b"".join(
        (
            f'<Signature xmlns="{dsig.DS}" Id="{signature_id}">'.encode(),
            _without_namespace(signed_info_c14n, "SignedInfo"),
            b"<SignatureValue>",
            _b64(signature_value).encode("ascii"),
            b"</SignatureValue>",
            _key_info(certificate, tuple(signer.chain)),
            _without_namespace(object_c14n, "Object"),
            b"</Signature>",
        )
    )


@lru_cache(maxsize=64)
def _key_info(certificate: x509.Certificate, chain: tuple[x509.Certificate, ...]) -> bytes:
    """Return the canonical ``KeyInfo`` (less its namespace declaration) for a certificate and its CA chain."""
    key_info = _standalone("KeyInfo")
    x509_data = etree.SubElement(key_info, dsig.ds("X509Data"))
    etree.SubElement(x509_data, dsig.ds("X509SubjectName")).text = subject_text(certificate)
    for item in (certificate, *(ca for ca in chain if not is_self_signed(ca))):
        der = item.public_bytes(serialization.Encoding.DER)
        etree.SubElement(x509_data, dsig.ds("X509Certificate")).text = _b64(der)
    return _without_namespace(_c14n(key_info), "KeyInfo")


def _check_certificate(signer: Signer, signing_time: datetime, expected_tax_code: str) -> None:
    certificate = signer.certificate
    if not isinstance(certificate.public_key(), rsa.RSAPublicKey):
        raise CredentialError("the signing certificate does not hold an RSA key (the format requires RSA-SHA256)")
    tax_code = tax_code_of(certificate)
    if tax_code is None:
        raise TaxCodeMismatch("the signing certificate carries no UID=MST:<tax code> in its subject")
    if tax_code != expected_tax_code.strip():
        raise TaxCodeMismatch(
            f"the signing certificate is for tax code {tax_code}, not for the issuer's tax code {expected_tax_code}"
        )
    problem = validity_problem(certificate, signing_time)
    if problem is not None:
        raise CertificateNotValid(f"the signing certificate is {problem}")


def _parse(xml: bytes) -> etree._Element:
    root = parse_untrusted(xml)
    encoding = (root.getroottree().docinfo.encoding or "UTF-8").upper()
    if encoding not in ("UTF-8", "UTF8"):
        raise DocumentNotSignable(f"the document is encoded in {encoding}; only UTF-8 documents are signed")
    return root


def _locate(root: etree._Element, xml: bytes) -> tuple[dsig.Layout, etree._Element, str]:
    """Check the document is ours to sign; return its layout, its data element and that element's Id."""
    layout = dsig.LAYOUTS.get(root.tag) if isinstance(root.tag, str) else None
    if layout is None:
        raise DocumentNotSignable(f"the root element is {root.tag!r}, not one of {', '.join(dsig.LAYOUTS)}")
    data = root.findall(layout.data)
    if len(data) != 1:
        raise DocumentNotSignable(f"the root must have exactly one {layout.data}, it has {len(data)}")
    data_id = data[0].get("Id")
    if not data_id or ":" in data_id or not _is_ncname(data_id):
        raise DocumentNotSignable(f"{layout.data} needs an Id attribute that is an XML name (NCName)")
    if _id_values(root).count(data_id) != 1:
        raise DocumentNotSignable(f"the Id {data_id!r} of {layout.data} is not unique in the document")
    slots = root.findall(f"DSCKS/{layout.issuer}")
    if len(root.findall("DSCKS")) != 1 or len(slots) != 1:
        raise DocumentNotSignable(f"the document needs exactly one DSCKS holding one {layout.issuer}")
    slot, section = slots[0], root.find("DSCKS")
    if len(slot) or (slot.text or "") or slot.attrib:
        raise DocumentNotSignable(f"DSCKS/{layout.issuer} is not empty: the document is already signed")
    if next(root.iter(dsig.ds("Signature")), None) is not None:
        raise DocumentNotSignable("the document already holds a signature")
    if next(root.iter(etree.Comment, etree.ProcessingInstruction), None) is not None or b"<![CDATA[" in xml:
        raise DocumentNotSignable("the document holds comments, processing instructions or CDATA; ours never do")
    inherited = [str(name) for el in (root, section, slot) if el is not None for name in el.attrib]
    if slot.nsmap or any(name.startswith(_XML_NS) for name in inherited):
        raise DocumentNotSignable("namespace declarations or xml: attributes around the slot are not supported")
    return layout, data[0], data_id


def _splice(xml: bytes, slot_tag: str, signature: bytes) -> bytes:
    """Put ``signature`` inside the empty slot, touching no other byte."""
    sections = list(re.finditer(rb"<DSCKS\s*>(.*?)</DSCKS\s*>", xml, re.DOTALL))
    if len(sections) != 1:
        raise DocumentNotSignable("cannot find the one <DSCKS> element in the bytes")
    tag = re.escape(slot_tag.encode("ascii"))
    empty = re.compile(rb"<" + tag + rb"\s*/>|<" + tag + rb"\s*>\s*</" + tag + rb"\s*>")
    start = sections[0].start(1)
    slots = list(empty.finditer(xml, start, sections[0].end(1)))
    if len(slots) != 1:
        raise DocumentNotSignable(f"cannot find the one empty <{slot_tag}/> in DSCKS")
    slot = slots[0]
    opening, closing = f"<{slot_tag}>".encode("ascii"), f"</{slot_tag}>".encode("ascii")
    return xml[: slot.start()] + opening + signature + closing + xml[slot.end() :]


def _standalone(tag: str, **attributes: str) -> etree._Element:
    return etree.Element(dsig.ds(tag), attributes, nsmap={None: dsig.DS})  # type: ignore[dict-item]  # stubs miss None


def _reference(
    signed_info: etree._Element, uri: str, digest: bytes, *, enveloped: bool = False, kind: str | None = None
) -> None:
    reference = etree.SubElement(signed_info, dsig.ds("Reference"))
    if kind is not None:
        reference.set("Type", kind)
    reference.set("URI", uri)
    if enveloped:
        transforms = etree.SubElement(reference, dsig.ds("Transforms"))
        etree.SubElement(transforms, dsig.ds("Transform"), Algorithm=dsig.ENVELOPED)
    etree.SubElement(reference, dsig.ds("DigestMethod"), Algorithm=dsig.SHA256)
    etree.SubElement(reference, dsig.ds("DigestValue")).text = _b64(digest)


def _c14n(element: etree._Element) -> bytes:
    if element.getparent() is not None:  # pragma: no cover - guards the lxml C14N pitfall described above
        raise ValueError("canonicalise standalone elements only")
    canonical: bytes = etree.tostring(element, method="c14n")
    return canonical


def _without_namespace(canonical: bytes, tag: str) -> bytes:
    """Drop the apex namespace declaration, which the enclosing ``Signature`` carries instead."""
    apex = f'<{tag} xmlns="{dsig.DS}"'.encode()
    if not canonical.startswith(apex):  # pragma: no cover - our own standalone elements always start so
        raise ValueError(f"unexpected canonical form of {tag}")
    return f"<{tag}".encode() + canonical[len(apex) :]


_ID_VALUES = etree.XPath("//@*[local-name()='Id' or local-name()='ID' or local-name()='id']")


def _id_values(root: etree._Element) -> list[str]:
    """Return the values of every Id/ID/id attribute (in any namespace) in document order."""
    return [str(value) for value in cast("list[object]", _ID_VALUES(root))]


def _is_ncname(value: str) -> bool:
    return re.fullmatch(r"[^\W\d][\w.\-]*", value) is not None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")

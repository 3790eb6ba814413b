"""Make the signing test material: the TEST-ONLY certificate chain (once) and the attack corpus (from it).

Run from the repository root::

    .venv/bin/python tests/signing/make_attacks.py              # rewrite samples/*-signed.xml and attacks/*.xml
    .venv/bin/python tests/signing/make_attacks.py --new-chain  # also replace the TEST-ONLY chain in certs/

The keys in ``certs/`` are test material and nothing else: their passwords sit beside them, their root is trusted
by the tests only, and their names say TEST-ONLY. Every attack starts from the §10.1 sample signed by the seller's
TEST-ONLY certificate; the expected verdict of each file is in ``test_attacks.py``.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree

from einvoice.signing.base import Signer
from einvoice.signing.certificates import subject_text
from einvoice.signing.devca import create_root_ca, issue_certificate, write_pkcs12
from einvoice.signing.pkcs12 import Pkcs12Signer
from einvoice.xmldoc import dsig, sign
from einvoice.xmldoc.safe import parse_untrusted

HERE = Path(__file__).resolve().parent
CERTS, SAMPLES, ATTACKS = HERE / "certs", HERE / "samples", HERE / "attacks"
#: The signing time of every signed sample: 2025-11-20 09:15:02 in Hà Nội.
SIGNING_TIME = datetime(2025, 11, 20, 2, 15, 2, tzinfo=UTC)
CHAIN_START = datetime(2025, 1, 1, tzinfo=UTC)
CHAIN_LIFE = timedelta(days=30 * 365 + 8)  # thirty years, so the committed files stay valid

#: (file stem, tax code, holder name) of each TEST-ONLY end-entity certificate.
HOLDERS = (
    ("TEST-ONLY-seller", "0101234567", "TEST ONLY - CÔNG TY TNHH ABC"),
    ("TEST-ONLY-collector", "0109999999", "TEST ONLY - TRUNG TÂM DỊCH VỤ HÀNH CHÍNH CÔNG XÃ A"),
    ("TEST-ONLY-other", "0309876543", "TEST ONLY - CÔNG TY CỔ PHẦN XYZ"),
)


def make_chain() -> None:
    """Create the TEST-ONLY root and end-entity certificates (PKCS#12 + password file each)."""
    CERTS.mkdir(exist_ok=True)
    root_key, root = create_root_ca(
        now=CHAIN_START,
        organization="einvoice TEST-ONLY CA (tests/signing)",
        common_name="einvoice TEST-ONLY root CA - never trust outside tests",
        validity=CHAIN_LIFE,
        key_size=2048,
    )
    (CERTS / "TEST-ONLY-root-ca.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    for stem, tax_code, name in HOLDERS:
        key, certificate = issue_certificate(
            root_key,
            root,
            tax_code=tax_code,
            name=name,
            not_before=CHAIN_START,
            not_after=CHAIN_START + CHAIN_LIFE,
            unit="TEST ONLY certificate - tests/signing",
        )
        write_pkcs12(CERTS / f"{stem}.p12", CERTS / f"{stem}.password", key, certificate, [root])


def signer(stem: str) -> Pkcs12Signer:
    """Return the TEST-ONLY signer ``stem``."""
    return Pkcs12Signer.from_password_file(CERTS / f"{stem}.p12", CERTS / f"{stem}.password")


def crafted(
    unsigned: bytes,
    key_holder: Signer,
    uris: list[str],
    *,
    role: str = "NBan",
    signing_time: str | None = dsig.format_signing_time(SIGNING_TIME),
) -> bytes:
    """Return ``unsigned`` signed in ``DSCKS/<role>`` by a real key over the references ``uris`` (any shape).

    ``signing_time`` is the text of the signed ``SigningTime``; None signs properties that hold none.
    """
    root = parse_untrusted(unsigned)
    signing_object = sign._standalone("Object", Id=f"SigningTime-{role}")
    properties = etree.SubElement(
        etree.SubElement(signing_object, dsig.ds("SignatureProperties")),
        dsig.ds("SignatureProperty"),
        Target=f"#{role}",
    )
    if signing_time is not None:
        etree.SubElement(properties, dsig.ds("SigningTime")).text = signing_time
    else:
        etree.SubElement(properties, dsig.ds("SigningPlace")).text = "Hà Nội"
    object_c14n = sign._c14n(signing_object)
    signed_info = sign._standalone("SignedInfo")
    etree.SubElement(signed_info, dsig.ds("CanonicalizationMethod"), Algorithm=dsig.C14N)
    etree.SubElement(signed_info, dsig.ds("SignatureMethod"), Algorithm=dsig.RSA_SHA256)
    for uri in uris:
        if uri == f"#SigningTime-{role}":
            digest = hashlib.sha256(object_c14n).digest()
            sign._reference(signed_info, uri, digest, kind=dsig.SIGNATURE_PROPERTIES_TYPE)
        else:
            (target,) = root.xpath("//*[@Id=$id]", id=uri[1:])
            digest = hashlib.sha256(etree.tostring(target, method="c14n")).digest()
            sign._reference(signed_info, uri, digest, enveloped=True)
    signed_info_c14n = sign._c14n(signed_info)
    value = key_holder.sign_digest(hashlib.sha256(signed_info_c14n).digest())
    key_info = sign._standalone("KeyInfo")
    x509_data = etree.SubElement(key_info, dsig.ds("X509Data"))
    etree.SubElement(x509_data, dsig.ds("X509SubjectName")).text = subject_text(key_holder.certificate)
    der = key_holder.certificate.public_bytes(serialization.Encoding.DER)
    etree.SubElement(x509_data, dsig.ds("X509Certificate")).text = base64.b64encode(der).decode()
    signature = b"".join(
        (
            f'<Signature xmlns="{dsig.DS}" Id="{role}">'.encode(),
            sign._without_namespace(signed_info_c14n, "SignedInfo"),
            b"<SignatureValue>" + base64.b64encode(value) + b"</SignatureValue>",
            sign._without_namespace(sign._c14n(key_info), "KeyInfo"),
            sign._without_namespace(object_c14n, "Object"),
            b"</Signature>",
        )
    )
    return sign._splice(unsigned, role, signature)


def once(data: bytes, old: bytes, new: bytes) -> bytes:
    """Replace the one occurrence of ``old`` in ``data``."""
    assert data.count(old) == 1, old
    return data.replace(old, new)


def flip_base64(data: bytes, tag: bytes, nth: int = 0) -> bytes:
    """Change one character of the ``nth`` base64 value in ``<tag>``."""
    match = list(re.finditer(b"<" + tag + b">([^<]+)</" + tag + b">", data))[nth]
    value = bytearray(match.group(1))
    value[10] = ord("A") if value[10] != ord("A") else ord("B")
    return data[: match.start(1)] + bytes(value) + data[match.end(1) :]


def attacks(genuine: bytes, unsigned: bytes) -> dict[str, bytes]:
    """Return each attack file's bytes by name."""
    data_start, data_end = genuine.index(b"<DLHDon "), genuine.index(b"</DLHDon>") + len(b"</DLHDon>")
    signed_data = genuine[data_start:data_end]
    forged = signed_data.replace(b' Id="DLHDon"', b"").replace(b"<TgTTTBSo>11685000<", b"<TgTTTBSo>1685000<")
    forged_same_id = signed_data.replace(b"<TgTTTBSo>11685000<", b"<TgTTTBSo>1685000<")
    other = signer("TEST-ONLY-other").certificate
    other_der = base64.b64encode(other.public_bytes(serialization.Encoding.DER))
    numbers = other.public_key().public_numbers()
    assert isinstance(other.public_key(), rsa.RSAPublicKey)
    modulus = base64.b64encode(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big"))
    key_value = (
        b"<KeyValue><RSAKeyValue><Modulus>" + modulus + b"</Modulus><Exponent>AQAB</Exponent></RSAKeyValue></KeyValue>"
    )
    signature = genuine[genuine.index(b"<Signature ") : genuine.index(b"</Signature>") + len(b"</Signature>")]
    qr_with_id = once(unsigned, b"<DLQRCode>", b'<DLQRCode Id="QR">')
    seller = signer("TEST-ONLY-seller")
    dtd = b"<!DOCTYPE HDon [<!ELEMENT HDon ANY>]>"
    entity = b'<!DOCTYPE HDon [<!ENTITY seller "C\xc3\x94NG TY TNHH ABC">]>'
    external = b'<!DOCTYPE HDon [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
    declaration = b'<?xml version="1.0" encoding="UTF-8"?>'
    return {
        "01-signed-element-moved.xml": once(genuine, signed_data, forged).replace(
            b"</DLQRCode>", b"</DLQRCode><TTKhac>" + signed_data + b"</TTKhac>"
        ),
        "02-duplicate-id.xml": once(genuine, b"<HDon>", b"<HDon>" + forged_same_id),
        "03-two-signatures-in-nban.xml": once(
            genuine, b"</Signature></NBan>", b"</Signature>" + signature + b"</NBan>"
        ),
        "04-reference-to-another-element.xml": once(
            crafted(qr_with_id, seller, ["#QR", "#SigningTime-NBan"]), b"<SHDon>123<", b"<SHDon>124<"
        ),
        "05-extra-reference.xml": crafted(qr_with_id, seller, ["#DLHDon", "#SigningTime-NBan", "#QR"]),
        "06-digest-value-altered.xml": flip_base64(genuine, b"DigestValue"),
        "07-signature-value-altered.xml": flip_base64(genuine, b"SignatureValue"),
        "08-certificate-swapped.xml": re.sub(
            rb"<X509Certificate>[^<]+</X509Certificate>",
            b"<X509Certificate>" + other_der + b"</X509Certificate>",
            genuine,
        ),
        "09-keyvalue-not-the-certificate.xml": once(genuine, b"<KeyInfo>", b"<KeyInfo>" + key_value),
        "10-comment-in-signed-text.xml": once(genuine, b"<SHDon>123<", b"<SHDon>1<!---->23<"),
        "11-whitespace-in-signed-content.xml": once(genuine, b"<NDHDon><NBan>", b"<NDHDon>\n    <NBan>"),
        "12-signing-time-changed.xml": once(
            genuine, b"<SigningTime>2025-11-20T09:15:02<", b"<SigningTime>2025-11-19T09:15:02<"
        ),
        "13-doctype.xml": once(genuine, declaration, declaration + dtd),
        "14-entity-in-signed-text.xml": once(
            once(genuine, declaration, declaration + entity),
            "<Ten>CÔNG TY TNHH ABC</Ten>".encode(),
            b"<Ten>&seller;</Ten>",
        ),
        "15-external-entity.xml": once(
            once(genuine, declaration, declaration + external), b"<SHDon>123</SHDon>", b"<SHDon>123&x;</SHDon>"
        ),
        "16-unsigned-copy-read-first.xml": once(genuine, b"<HDon>", b"<HDon>" + forged),
        "17-xslt-transform.xml": once(
            genuine,
            b'#enveloped-signature"></Transform>',
            b'#enveloped-signature"></Transform><Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116"></Transform>',
        ),
        "18-amount-changed.xml": once(genuine, b"<TgTTTBSo>11685000<", b"<TgTTTBSo>1685000<"),
    }


def main() -> None:
    """Write the chain (when asked or missing), the signed samples and the attack files."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--new-chain", action="store_true", help="replace the TEST-ONLY certificate chain")
    if parser.parse_args().new_chain or not (CERTS / "TEST-ONLY-root-ca.pem").exists():
        make_chain()
    invoice = (SAMPLES / "invoice-10.1-unsigned.xml").read_bytes()
    receipt = (SAMPLES / "receipt-10.2-unsigned.xml").read_bytes()
    genuine = sign.sign_document(
        invoice, signer("TEST-ONLY-seller"), signing_time=SIGNING_TIME, expected_tax_code="0101234567"
    )
    (SAMPLES / "invoice-10.1-signed.xml").write_bytes(genuine)
    receipt_signed = sign.sign_document(
        receipt, signer("TEST-ONLY-collector"), signing_time=SIGNING_TIME, expected_tax_code="0109999999"
    )
    (SAMPLES / "receipt-10.2-signed.xml").write_bytes(receipt_signed)
    with_buyer_slot = once(genuine, b"</NBan></DSCKS>", b"</NBan><NMua/></DSCKS>")
    buyer_too = crafted(with_buyer_slot, signer("TEST-ONLY-other"), ["#DLHDon", "#SigningTime-NMua"], role="NMua")
    (SAMPLES / "invoice-10.1-signed-by-seller-and-buyer.xml").write_bytes(buyer_too)
    ATTACKS.mkdir(exist_ok=True)
    for stale in ATTACKS.glob("*.xml"):
        stale.unlink()
    for name, data in attacks(genuine, invoice).items():
        (ATTACKS / name).write_bytes(data)


if __name__ == "__main__":
    main()

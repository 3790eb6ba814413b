"""What an attacker does to one of our documents: change it, and sign it again with a certificate of their own."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509.oid import NameOID

from einvoice.signing.base import Signer
from einvoice.signing.devca import create_root_ca, issue_certificate
from einvoice.xmldoc.sign import sign_document

VALID, UNCONFIRMED, INVALID = "Hợp lệ", "Chưa xác thực được người ký", "Không hợp lệ"
MISMATCH = "Không khớp với chứng từ đã phát hành"
PRODUCTION = {"ENV": "production", "SECRET_KEY": "a-production-secret-key-of-more-than-32-characters"}
CENTRE = "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG XÃ AN KHÁNH"
CENTRE_TAX_CODE = "0109999999"
#: When the forger signs: inside the world's clock day, and inside every certificate made here.
FORGED_AT = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
_SIGNATURE = re.compile(rb"<DSCKS><DVThu>.*</DVThu></DSCKS>", re.S)


@dataclass(frozen=True)
class KeySigner:
    """A signer holding its key in memory: what anyone can make with a few lines of ``cryptography``."""

    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    chain: Sequence[x509.Certificate] = ()

    def sign_digest(self, digest: bytes) -> bytes:
        """Return the RSASSA-PKCS1-v1_5 signature of the SHA-256 ``digest``."""
        return self.key.sign(digest, padding.PKCS1v15(), Prehashed(hashes.SHA256()))


def self_signed(name: str = CENTRE, tax_code: str = CENTRE_TAX_CODE) -> KeySigner:
    """Return a signer whose self-signed certificate carries the centre's real name and tax code."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.USER_ID, f"MST:{tax_code}"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    usage = x509.KeyUsage(True, True, False, False, False, False, False, False, False)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(FORGED_AT - timedelta(days=30))
        .not_valid_after(FORGED_AT + timedelta(days=365))
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    return KeySigner(key, certificate)


def fake_dev_ca(name: str = CENTRE, tax_code: str = CENTRE_TAX_CODE) -> tuple[KeySigner, x509.Certificate]:
    """Return a signer issued by a home-made development CA (as ``einvoice dev-ca`` makes one), and that CA's root."""
    root_key, root = create_root_ca(now=FORGED_AT - timedelta(days=30), key_size=2048)
    key, certificate = issue_certificate(
        root_key,
        root,
        tax_code=tax_code,
        name=name,
        not_before=FORGED_AT - timedelta(days=1),
        not_after=FORGED_AT + timedelta(days=365),
    )
    return KeySigner(key, certificate, (root,)), root


def resign(xml: bytes, signer: Signer, tax_code: str = CENTRE_TAX_CODE) -> bytes:
    """Remove the collector's signature from a receipt and sign it again with ``signer``."""
    unsigned, count = _SIGNATURE.subn(b"<DSCKS><DVThu/></DSCKS>", xml)
    assert count == 1
    return sign_document(unsigned, signer, signing_time=FORGED_AT, expected_tax_code=tax_code)


def forge_payer(xml: bytes) -> bytes:
    """Return the receipt with another payer's name."""
    changed = xml.replace("Trần Thị Bích".encode(), "Nguyễn Văn Giả".encode())
    assert changed != xml
    return changed


def lower_amount(xml: bytes) -> bytes:
    """Return the receipt with its 8.000 ₫ fee and total lowered to 800 ₫ (words too, so the rules still pass)."""
    changed = xml.replace(b"<TgTTTBSo>8000</TgTTTBSo>", b"<TgTTTBSo>800</TgTTTBSo>")
    changed = changed.replace(b">8000<", b">800<")
    changed = changed.replace("Tám nghìn đồng".encode(), "Tám trăm đồng".encode())
    assert changed != xml
    return changed


def renumber(xml: bytes, template: str | None = None, number: int | None = None) -> bytes:
    """Return the receipt under another template or number, without its lookup code (a document of its own)."""
    changed = re.sub(rb"<TTKhac>.*?</TTKhac>", b"", xml, flags=re.S)
    if template is not None:
        changed = re.sub(rb"<KHMSBLai>[^<]*</KHMSBLai>", f"<KHMSBLai>{template}</KHMSBLai>".encode(), changed)
    if number is not None:
        changed = re.sub(rb"<SBLai>[^<]*</SBLai>", f"<SBLai>{number}</SBLai>".encode(), changed)
    return changed


def as_upload(data: bytes) -> io.BytesIO:
    """Return ``data`` as a file to post in the check page's form."""
    return io.BytesIO(data)


def headline(html: bytes) -> str:
    """Return the text of the verdict's headline on the check page."""
    found = re.search(r'<p class="headline">([^<]*)</p>', html.decode())
    assert found is not None
    return found.group(1)


def verdict_block(html: bytes) -> str:
    """Return the visible text of the verdict block (headline, reasons, advice)."""
    found = re.search(r'<div class="verdict [a-z]+" role="status">(.*?)</div>', html.decode(), re.S)
    assert found is not None
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())

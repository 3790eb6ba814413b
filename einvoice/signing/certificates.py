"""What a Vietnamese signing certificate says: its owner's tax code, a readable subject, and whether it is ours.

Vietnamese CAs put the holder's tax code in the subject as ``UID=MST:<tax code>`` (the attribute
0.9.2342.19200300.100.1.1, which Windows shows as ``OID.0.9.2342.19200300.100.1.1=MST:…``). Development
certificates made by :mod:`einvoice.signing.devca` carry :data:`DEVELOPMENT_ORGANIZATION` as the organisation of
their issuer (and of the root itself), so production can recognise and refuse them.
"""

from __future__ import annotations

import re
from datetime import datetime

from cryptography import x509
from cryptography.x509.oid import NameOID

#: Organisation name of the development CA; every certificate it issues names it as issuer.
DEVELOPMENT_ORGANIZATION = "einvoice development CA"
#: Organisational unit on development end-entity certificates.
DEVELOPMENT_UNIT = "einvoice development certificate - not for production"

_TAX_CODE_PREFIX = "MST:"
#: The same two facts in a subject written as text (``X509SubjectName``: ``CN=…, UID=MST:…``).
_CN_IN_TEXT = re.compile(r"(?:^|,)\s*CN=((?:[^,\\]|\\.)+)")
_TAX_CODE_IN_TEXT = re.compile(re.escape(_TAX_CODE_PREFIX) + r"\s*([0-9-]+)", re.IGNORECASE)
_NAME_OVERRIDES = {NameOID.USER_ID: "UID", NameOID.EMAIL_ADDRESS: "E", NameOID.STATE_OR_PROVINCE_NAME: "S"}


def _values(name: x509.Name, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(attribute.value) for attribute in name.get_attributes_for_oid(oid)]


def tax_code_of(certificate: x509.Certificate) -> str | None:
    """Return the tax code in the subject's ``UID=MST:…`` attribute, or None when there is none."""
    for value in _values(certificate.subject, NameOID.USER_ID):
        text = value.strip()
        if text[: len(_TAX_CODE_PREFIX)].upper() == _TAX_CODE_PREFIX:
            return text[len(_TAX_CODE_PREFIX) :].strip()
    return None


def names_in_subject(text: str) -> tuple[str | None, str | None]:
    """Return the common name and the ``UID=MST:`` tax code of a subject written as text, each None when absent."""
    name = _CN_IN_TEXT.search(text)
    tax_code = _TAX_CODE_IN_TEXT.search(text)
    return (name.group(1).replace("\\", "").strip() if name else None, tax_code.group(1) if tax_code else None)


def subject_text(certificate: x509.Certificate) -> str:
    """Return the subject as ``CN=…, UID=MST:…, C=VN`` (most specific first, as Vietnamese tools show it)."""
    return ", ".join(rdn.rfc4514_string(_NAME_OVERRIDES) for rdn in reversed(certificate.subject.rdns))


def common_name(certificate: x509.Certificate) -> str | None:
    """Return the subject's first CN, or None."""
    names = _values(certificate.subject, NameOID.COMMON_NAME)
    return names[0] if names else None


def is_development_certificate(certificate: x509.Certificate) -> bool:
    """Tell whether ``certificate`` was made by the development CA (or is that CA): production must refuse it."""
    marks = {DEVELOPMENT_ORGANIZATION.casefold(), DEVELOPMENT_UNIT.casefold()}
    for name in (certificate.subject, certificate.issuer):
        for oid in (NameOID.ORGANIZATION_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME):
            if any(value.casefold() in marks for value in _values(name, oid)):
                return True
    return False


def validity_problem(certificate: x509.Certificate, at: datetime) -> str | None:
    """Return why ``certificate`` is not valid at the aware datetime ``at``, or None when it is."""
    if at < certificate.not_valid_before_utc:
        return f"not yet valid at {at.isoformat()} (valid from {certificate.not_valid_before_utc.isoformat()})"
    if at > certificate.not_valid_after_utc:
        return f"expired at {at.isoformat()} (valid until {certificate.not_valid_after_utc.isoformat()})"
    return None


def is_self_signed(certificate: x509.Certificate) -> bool:
    """Tell whether ``certificate`` names itself as issuer (a root)."""
    return certificate.issuer == certificate.subject

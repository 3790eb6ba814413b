"""What the tax authority does to an invoice it codes, for the local simulator: add ``MCCQT`` and sign as ``CQT``.

A coded invoice (answer 202, format reference §6.3 and 2026 spec §3.7.3) is the seller's signed ``HDon`` with
``<MCCQT Id="Id-…">`` right after ``DLHDon`` and the authority's ``Signature`` in ``DSCKS/CQT``, covering ``DLHDon``
(no transform), ``MCCQT`` and its own signing time. The seller's bytes are untouched, so the seller's signature still
verifies. Only the simulator (:mod:`einvoice.gateway.simulator`) codes invoices; the service only reads them.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime

from lxml import etree

from einvoice.signing.base import Signer
from einvoice.xmldoc import dsig, formats
from einvoice.xmldoc.safe import parse_untrusted
from einvoice.xmldoc.sign import sign_references

#: ``MCCQT`` is 34 upper-case hex characters (choice 13).
CODE_LENGTH = 34


class NotCodable(ValueError):
    """The bytes are not a seller-signed invoice waiting for a code."""


def new_authority_code() -> str:
    """Return a fresh 34-character code as the authority assigns them."""
    return secrets.token_hex(CODE_LENGTH // 2).upper()


def code_invoice(signed: bytes, authority_code: str, signer: Signer, *, signing_time: datetime) -> bytes:
    """Return ``signed`` with ``MCCQT`` after ``DLHDon`` and the authority's signature in ``DSCKS/CQT``."""
    root = parse_untrusted(signed)
    data = root.find(formats.INVOICE_DATA)
    if root.tag != formats.INVOICE_ROOT or data is None or not data.get("Id"):
        raise NotCodable("not an invoice with an identified DLHDon")
    if root.find(dsig.AUTHORITY_CODE) is not None or root.find(f"DSCKS/{dsig.AUTHORITY_ROLE}") is not None:
        raise NotCodable("the invoice is coded already")
    if signed.count(b"</DLHDon>") != 1 or signed.count(b"</DSCKS>") != 1:
        raise NotCodable("cannot place the code in these bytes")
    code_id = f"Id-{uuid.uuid4().hex}"
    code_element = f'<{dsig.AUTHORITY_CODE} Id="{code_id}">{authority_code}</{dsig.AUTHORITY_CODE}>'.encode()
    data_digest = hashlib.sha256(etree.tostring(data, method="c14n")).digest()
    code_digest = hashlib.sha256(etree.tostring(parse_untrusted(code_element), method="c14n")).digest()
    signature = sign_references(
        signer,
        signature_id=f"Tct-{uuid.uuid4().hex}",
        references=((f"#{data.get('Id')}", data_digest), (f"#{code_id}", code_digest)),
        signing_time=signing_time,
    )
    after_data = signed.index(b"</DLHDon>") + len(b"</DLHDon>")
    coded = signed[:after_data] + code_element + signed[after_data:]
    closing = coded.index(b"</DSCKS>")
    role = dsig.AUTHORITY_ROLE.encode()
    return coded[:closing] + b"<" + role + b">" + signature + b"</" + role + b">" + coded[closing:]

"""The XMLDSig profile of the national format (choices 4 and 5): names, algorithms, where signatures live.

Shared by :mod:`einvoice.xmldoc.sign` (which emits exactly this profile) and :mod:`einvoice.xmldoc.verify`
(which also accepts the variants other providers emit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from einvoice.domain.vntime import VIETNAM_TIME as VIETNAM_TIME  # signing times are in it; re-exported
from einvoice.xmldoc import formats

DS: Final = "http://www.w3.org/2000/09/xmldsig#"
C14N: Final = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
RSA_SHA256: Final = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256: Final = "http://www.w3.org/2001/04/xmlenc#sha256"
ENVELOPED: Final = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
SIGNATURE_PROPERTIES_TYPE: Final = "http://www.w3.org/2000/09/xmldsig#SignatureProperties"

_SIGNING_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")


@dataclass(frozen=True)
class Layout:
    """Where the signed data and the signatures of one kind of document are (from its row in ``formats``)."""

    kind: str
    root: str
    data: str
    #: The issuer's signature slot under ``DSCKS`` (seller ``NBan``; receipts: the collector ``DVThu``).
    issuer: str
    #: Every signature slot under ``DSCKS`` that we verify, issuer first.
    roles: tuple[str, ...]


def _layout(row: formats.XmlFormat) -> Layout:
    return Layout(row.kind, row.root, row.data, row.issuer_slot, row.signature_slots)


#: The receipts' daily table 01/TH-BLĐT (choice 20), signed by the collecting organisation: a message to the
#: authority, not a document kind, but signed and verified like one.
RECEIPT_TABLE: Final = Layout("receipt_table", "BTHDLBLai", "DLBTHop", "NNT", ("NNT",))
#: Error notices 04/SS-HĐĐT and 04/SS-CTĐT (message 300), signed by the taxpayer in ``DSCKS/NNT`` (2026 spec §2.4).
ERROR_NOTICE: Final = Layout("error_notice", "TBao", "DLTBao", "NNT", ("NNT",))
#: The signature layout of each document root.
LAYOUTS: Final = {root: _layout(row) for root, row in formats.BY_ROOT.items()} | {
    layout.root: layout for layout in (RECEIPT_TABLE, ERROR_NOTICE)
}
#: The slots that hold an issuer's signature, whatever the kind.
ISSUER_SLOTS: Final = frozenset(layout.issuer for layout in LAYOUTS.values())
#: The tax authority's slot: it signs the data, the code it assigned (``MCCQT``) and its own signing time.
AUTHORITY_ROLE: Final = "CQT"
AUTHORITY_CODE: Final = "MCCQT"


def ds(tag: str) -> str:
    """Return the Clark name of an XMLDSig element."""
    return f"{{{DS}}}{tag}"


def format_signing_time(moment: datetime) -> str:
    """Return the aware ``moment`` as Vietnam local time, ``YYYY-MM-DDThh:mm:ss`` without offset."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the signing time must be an aware datetime")
    return moment.astimezone(VIETNAM_TIME).strftime(_SIGNING_TIME_FORMAT)


def parse_signing_time(text: str) -> datetime:
    """Return the aware UTC datetime of a ``SigningTime`` (Vietnam time unless it carries an offset)."""
    value = text.strip()
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None and not _OFFSET.search(value):
        moment = moment.replace(tzinfo=VIETNAM_TIME)
    return moment.astimezone(UTC)

"""The versions of the XML formats we emit, and the names tied to them (choices 1 and 7).

Changing a version is a change here, in the matching XSD under ``schemas/``, and in the golden files.
"""

from __future__ import annotations

from typing import Final

#: Invoices: the national format of QĐ 1271/QĐ-CT.
INVOICE_VERSION: Final = "2.1.0"
INVOICE_ROOT: Final = "HDon"
INVOICE_DATA: Final = "DLHDon"
INVOICE_SCHEMA: Final = f"hdon-{INVOICE_VERSION}.xsd"
#: Versions of other providers' invoices we read and verify but never emit.
READABLE_INVOICE_VERSIONS: Final = frozenset({"2.0.0", "2.0.1", "2.1.0"})

#: Receipts: our own format until the authority publishes one.
RECEIPT_VERSION: Final = "1.0.0"
RECEIPT_ROOT: Final = "BLai"
RECEIPT_DATA: Final = "DLBLai"
RECEIPT_SCHEMA: Final = f"blai-{RECEIPT_VERSION}.xsd"

#: The ``TTKhac/TTin/TTruong`` that carries the lookup code (choice 10).
LOOKUP_FIELD: Final = "MaTraCuu"
XML_DECLARATION: Final = b'<?xml version="1.0" encoding="UTF-8"?>'

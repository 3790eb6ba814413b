"""The one parser for untrusted XML.

Every byte string that comes from outside (an upload, a file, a response of the tax authority) is parsed here and
nowhere else: a lint rule bans ``lxml.etree.fromstring``/``parse``/``XML`` in the rest of the code. The parser
refuses DTDs and entities, never touches the network, never recovers from malformed input, and refuses documents
over a size cap before parsing them. Whitespace and comments are kept exactly as they are: a signed document must
be canonicalised from the bytes it arrived with.
"""

from __future__ import annotations

from lxml import etree

#: Largest XML document accepted, in bytes. A 500-line invoice is about 250 KB; the authority caps a message at 2 MB.
MAX_XML_BYTES = 5 * 1024 * 1024

_UTF8_BOM = b"\xef\xbb\xbf"


class UnsafeXMLError(ValueError):
    """The input is not XML we are willing to read (too large, a DTD, an entity, or not well-formed)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _new_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        dtd_validation=False,
        load_dtd=False,
        recover=False,
        huge_tree=False,
        remove_blank_text=False,
        remove_comments=False,
        remove_pis=False,
        collect_ids=True,
    )


def parse_untrusted(data: bytes, *, max_bytes: int = MAX_XML_BYTES) -> etree._Element:
    """Parse ``data`` as untrusted XML and return its root element, or raise :class:`UnsafeXMLError`."""
    if not isinstance(data, bytes):
        raise TypeError("parse_untrusted takes bytes")
    if len(data) > max_bytes:
        raise UnsafeXMLError("XML_TOO_LARGE", f"document is {len(data)} bytes, more than the limit of {max_bytes}")
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    try:
        root = etree.fromstring(data, _new_parser())  # noqa: TID251 - this is the one sanctioned call
    except etree.XMLSyntaxError as exc:
        raise UnsafeXMLError("XML_MALFORMED", f"not well-formed XML: {exc}") from exc
    tree = root.getroottree()
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise UnsafeXMLError("XML_DTD_FORBIDDEN", "documents with a DOCTYPE/DTD are refused")
    for node in root.iter(etree.Entity):
        raise UnsafeXMLError("XML_ENTITY_FORBIDDEN", f"entity reference {node.text} is refused")
    return root

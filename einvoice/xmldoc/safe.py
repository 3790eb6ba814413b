"""The one parser for untrusted XML.

Every byte string that comes from outside (an upload, a file, a response of the tax authority) is parsed here and
nowhere else: a lint rule bans ``lxml.etree.fromstring``/``parse``/``XML`` and making an ``lxml.etree.XMLParser`` in
the rest of the code (a library that wants a parser, such as signxml, gets :func:`hardened_parser`). The parser
refuses DTDs and entities, never touches the network, never recovers from malformed input, and refuses documents
over a size cap before parsing them. Whitespace and comments are kept exactly as they are: a signed document must
be canonicalised from the bytes it arrived with.

What is refused raises :class:`~einvoice.domain.errors.UnsafeInputError`, whose problem (path ``/``) carries a
stable code and a message in Vietnamese and English: callers report it as it is.
"""

from __future__ import annotations

from lxml import etree

from einvoice.domain.errors import Problem, UnsafeInputError

#: Largest XML document accepted, in bytes. A 500-line invoice is about 250 KB; the authority caps a message at 2 MB.
MAX_XML_BYTES = 5 * 1024 * 1024

_UTF8_BOM = b"\xef\xbb\xbf"


#: code -> (Vietnamese, English) of each refusal.
MESSAGES: dict[str, tuple[str, str]] = {
    "XML_MALFORMED": ("tệp không phải XML hợp lệ", "not well-formed XML"),
    "XML_DTD_FORBIDDEN": (
        "tài liệu có khai báo DTD (DOCTYPE) bị từ chối",
        "documents with a DTD (DOCTYPE) are refused",
    ),
    "XML_ENTITY_FORBIDDEN": ("tài liệu có tham chiếu thực thể (entity) bị từ chối", "entity references are refused"),
    "XML_TOO_LARGE": ("tài liệu quá lớn", "the document is too large"),
}


def refusal(code: str, detail: str = "") -> UnsafeInputError:
    """Return the error refusing input for ``code``; ``detail`` (in English, e.g. lxml's words) ends the English."""
    vietnamese, english = MESSAGES[code]
    return UnsafeInputError(Problem(code, "/", vietnamese, f"{english}: {detail}" if detail else english))


def hardened_parser() -> etree.XMLParser:  # noqa: TID251 - the one place that makes a parser
    """Return a new parser with the hardened flags, for a library that parses on its own (signxml)."""
    return etree.XMLParser(  # noqa: TID251 - the one place that makes a parser
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
    """Parse ``data`` as untrusted XML and return its root element, or raise :class:`UnsafeInputError`."""
    if not isinstance(data, bytes):
        raise TypeError("parse_untrusted takes bytes")
    if len(data) > max_bytes:
        raise UnsafeInputError(
            Problem(
                "XML_TOO_LARGE",
                "/",
                f"tài liệu quá lớn: {len(data)} byte, tối đa {max_bytes} byte",
                f"the document is too large: {len(data)} bytes, more than the limit of {max_bytes}",
            )
        )
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    try:
        root = etree.fromstring(data, hardened_parser())  # noqa: TID251 - this is the one sanctioned call
    except etree.XMLSyntaxError as exc:
        raise refusal("XML_MALFORMED", str(exc)) from exc
    tree = root.getroottree()
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise refusal("XML_DTD_FORBIDDEN")
    for node in root.iter(etree.Entity):
        raise refusal("XML_ENTITY_FORBIDDEN", str(node.text))
    return root

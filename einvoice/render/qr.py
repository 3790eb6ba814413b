"""The lookup URL printed on every document, and its QR code.

The QR holds ``<public base URL>/tra-cuu/<code>`` (choice 10), the code in its printed groups of four. The mask pattern
is fixed: letting the library try all eight masks and score them costs about 15 ms per code, a fixed one about 1 ms,
and every mask decodes. The image is a greyscale PNG written here: the library's image factories (PIL, SVG) cost
several times more than building the code, and WeasyPrint draws an SVG path command by command (about 15 ms for one
code) where it embeds a small PNG almost for free. The printed image has :data:`PRINT_SCALE` pixels per module: a
PDF viewer or printer driver scaling a one-pixel-per-module image up to a low resolution spreads the modules
unevenly (zbar read a 28 mm code at 150 dpi, never at 120 or 110), while an image already 4 pixels a module reads
at 96 dpi.
"""

from __future__ import annotations

import base64
import struct
import zlib

import qrcode
import qrcode.constants

from einvoice.domain.lookup import format_lookup_code
from einvoice.settings import DEFAULT_PUBLIC_BASE_URL as DEFAULT_PUBLIC_BASE_URL  # where the public pages live

#: The path of the public lookup pages under the public address.
LOOKUP_PATH = "/tra-cuu"
#: Mask 0 (checkerboard); any fixed mask reads, this one is as good as the others for short URLs.
MASK_PATTERN = 0
_QUIET_ZONE = 4  # modules of white border the QR specification asks for
#: Pixels per module of the QR image in a printout.
PRINT_SCALE = 4


def lookup_page_url(base_url: str) -> str:
    """Return the address of the lookup form under ``base_url``."""
    return base_url.rstrip("/") + LOOKUP_PATH


def lookup_url(base_url: str, code: str) -> str:
    """Return the URL a document's QR code opens: the lookup page of ``code``."""
    return f"{lookup_page_url(base_url)}/{format_lookup_code(code)}"


def qr_matrix(data: str) -> list[list[bool]]:
    """Return the modules of the QR code of ``data`` (error correction M, fixed mask), quiet zone included."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=_QUIET_ZONE, mask_pattern=MASK_PATTERN
    )
    code.add_data(data)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    return matrix


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def qr_png(data: str, *, scale: int = 1) -> bytes:
    """Return the QR code of ``data`` as an 8-bit greyscale PNG, ``scale`` × ``scale`` pixels per module.

    The printout scales it up with ``image-rendering: pixelated``; a PNG this small costs WeasyPrint far less than an
    SVG path of the same code, which it has to parse and draw command by command. Greyscale rather than 1-bit:
    WeasyPrint converts a 1-bit image to RGB and encodes it again, a greyscale one it takes as it is.
    """
    matrix = qr_matrix(data)
    size = len(matrix) * scale
    pixel = (b"\0" * scale, b"\xff" * scale)
    lines = (b"\0" + b"".join(pixel[not dark] for dark in row) for row in matrix)  # filter byte, then pixels
    rows = b"".join(line for line in lines for _ in range(scale))
    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)  # 8 bits, greyscale, no interlace
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(rows)) + _chunk(b"IEND", b"")


def qr_data_uri(data: str) -> str:
    """Return the printed QR code of ``data`` (:data:`PRINT_SCALE` pixels a module) as a PNG ``data:`` URI."""
    return "data:image/png;base64," + base64.b64encode(qr_png(data, scale=PRINT_SCALE)).decode("ascii")

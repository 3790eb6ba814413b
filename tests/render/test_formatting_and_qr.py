"""How numbers and dates are written on paper, the lookup URL, the QR image, and the package's layering."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from einvoice.render.context import date_in_words, format_date, format_datetime, format_number
from einvoice.render.qr import MASK_PATTERN, PRINT_SCALE, lookup_url, qr_data_uri, qr_matrix, qr_png


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        (Decimal(11_685_000), "11.685.000"),
        (Decimal(0), "0"),
        (Decimal("-1000"), "-1.000"),
        (Decimal("12345.50"), "12.345,5"),
        (Decimal("2.25"), "2,25"),
        (Decimal("1E+3"), "1.000"),
        (Decimal("1234567.89"), "1.234.567,89"),
    ],
)
def test_numbers_are_written_vietnamese_style(value: Decimal, printed: str) -> None:
    """Dots group thousands, a comma marks decimals, trailing zero decimals are dropped."""
    assert format_number(value) == printed


def test_dates_are_written_day_first() -> None:
    """Dates print as dd/mm/yyyy, times with seconds, and the issue date in words."""
    assert format_date(date(2025, 1, 5)) == "05/01/2025"
    assert format_datetime(datetime(2025, 1, 5, 9, 3, 7)) == "05/01/2025 09:03:07"
    assert date_in_words(date(2025, 1, 5)) == "Ngày 05 tháng 01 năm 2025"


def test_lookup_url_uses_the_printed_groups() -> None:
    """The QR's URL is the public base URL, /tra-cuu/ and the code in groups of four, whatever the trailing slash."""
    assert lookup_url("https://hd.example.vn/", "7K2P9QAXM4TD") == "https://hd.example.vn/tra-cuu/7K2P-9QAX-M4TD"
    assert lookup_url("https://hd.example.vn", "7K2P9QAXM4TD") == "https://hd.example.vn/tra-cuu/7K2P-9QAX-M4TD"


def test_qr_uses_the_fixed_mask(monkeypatch: pytest.MonkeyPatch) -> None:
    """The QR is built at the fixed mask pattern, never by scoring all eight."""
    import qrcode.main

    def no_best_mask(*args: object) -> int:
        raise AssertionError("the mask was chosen automatically")

    monkeypatch.setattr(qrcode.main.QRCode, "best_mask_pattern", no_best_mask)
    assert qr_matrix("http://127.0.0.1:8000/tra-cuu/7K2P-9QAX-M4TD")
    assert MASK_PATTERN == 0


def test_qr_png_decodes(tmp_path: Path) -> None:
    """The PNG of the data URI, scaled up as the printout does, reads back as the URL."""
    from PIL import Image

    url = "http://127.0.0.1:8000/tra-cuu/7K2P-9QAX-M4TD"
    uri = qr_data_uri(url)
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == qr_png(url, scale=PRINT_SCALE)
    (tmp_path / "qr.png").write_bytes(qr_png(url))
    with Image.open(tmp_path / "qr.png") as image:
        image.resize((image.width * 4, image.height * 4), Image.Resampling.NEAREST).save(tmp_path / "big.png")
    read = subprocess.run(["zbarimg", "--raw", "-q", str(tmp_path / "big.png")], capture_output=True, text=True)
    assert read.stdout.strip() == url


def test_render_package_imports_no_flask() -> None:
    """Importing einvoice.render (WeasyPrint included) in a fresh interpreter loads no Flask or Werkzeug."""
    code = (
        "import json, sys, einvoice.render.pdf, einvoice.render.cache; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'werkzeug'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []

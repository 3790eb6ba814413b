"""Reading printed documents back with independent tools: poppler's pdftotext/pdftoppm/pdffonts and zbarimg."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path


def _write(pdf: bytes, folder: Path) -> Path:
    path = folder / "doc.pdf"
    path.write_bytes(pdf)
    return path


def pdf_text(pdf: bytes, folder: Path) -> str:
    """Return the text of ``pdf`` as ``pdftotext -layout`` extracts it, pages separated by form feeds."""
    path = _write(pdf, folder)
    return subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def pdf_pages(pdf: bytes, folder: Path) -> list[str]:
    """Return the text of each page of ``pdf``."""
    return [page for page in pdf_text(pdf, folder).split("\f") if page.strip()]


def pdf_qr(pdf: bytes, folder: Path, *, page: int = 1, dpi: int = 150) -> str:
    """Return what zbarimg reads on page ``page`` of ``pdf`` rasterised at ``dpi``."""
    path = _write(pdf, folder)
    image = folder / f"page-{page}"
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-f", str(page), "-l", str(page), "-singlefile", str(path), str(image)],
        check=True,
    )
    return subprocess.run(
        ["zbarimg", "--raw", "-q", f"{image}.png"], check=True, capture_output=True, text=True
    ).stdout.strip()


def pdf_fonts(pdf: bytes, folder: Path) -> list[tuple[str, bool, bool]]:
    """Return (name without subset tag, embedded, subset) for each font ``pdffonts`` lists."""
    path = _write(pdf, folder)
    lines = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout.splitlines()
    fonts = []
    for line in lines[2:]:
        columns = line.split()
        name = columns[0]
        embedded, subset = columns[-5] == "yes", columns[-4] == "yes"
        fonts.append((name.split("+", 1)[-1], embedded, subset))
    return fonts


_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>')
_PAGE = re.compile(r'<page width="([\d.]+)"')


def words_outside_page(pdf: bytes, folder: Path, *, margin_pt: float) -> list[str]:
    """Return the words whose box reaches into the left or right page margin (an overflow), from pdftotext -bbox."""
    path = _write(pdf, folder)
    html = subprocess.run(
        ["pdftotext", "-bbox", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    page = _PAGE.search(html)
    assert page is not None, "pdftotext -bbox gave no page"
    width = float(page.group(1))
    outside = []
    for match in _WORD.finditer(html):
        x_min, x_max = float(match.group(1)), float(match.group(2))
        if x_min < margin_pt - 0.5 or x_max > width - margin_pt + 0.5:
            outside.append(match.group(3))
    return outside


def flat(text: str) -> str:
    """Fold every run of whitespace (line wraps and layout padding included) into one space."""
    return " ".join(text.split())

"""Turning a signed document into its PDF: the entry point of printing.

WeasyPrint is imported with this module, which the web app imports when a worker starts, so the first request pays
no import. :func:`render_document_pdf` is called after the issuing transaction committed (or when someone asks for
the PDF); it reads the signed XML, renders it on first request and caches the bytes. The same XML, layout, template
version and marks always give the same bytes: WeasyPrint writes no dates, its font subset names are hashes of the
glyphs, and no file identifier (``/ID``, optional in PDF) is written: asked for one, pydyf serialises and
compresses every object a second time to hash it (about 3 ms of a receipt), and a random one would break
reproducibility.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import weasyprint
from jinja2 import TemplateError
from lxml import etree
from weasyprint.text.fonts import FontConfiguration

from einvoice.domain.documents import Invoice, Receipt, RelatedDocument
from einvoice.domain.errors import EInvoiceError, InvalidDocumentError
from einvoice.render.cache import PdfCache, cache_key
from einvoice.render.collector import collector_paused
from einvoice.render.context import LAYOUTS, Conversion, Layout, print_context, stylesheet_names, template_name
from einvoice.render.errors import RenderError
from einvoice.render.qr import DEFAULT_PUBLIC_BASE_URL
from einvoice.render.signature import authority_code, read_signatures
from einvoice.render.templates import environment
from einvoice.settings import Settings
from einvoice.xmldoc.parse import load_root, read_document

#: The version of the shipped templates; bump it whenever a template changes, so cached PDFs are rendered anew.
TEMPLATE_VERSION = "2026.12-2"  # discount minus sign, tax-rate header on one line, QR 4 px a module, fee units
CACHE_FOLDER = "pdf-cache"
_thread = threading.local()
#: The id a roll template gives its last element, and the paper left below it, in CSS pixels (4 mm).
CUT_ANCHOR = "cat-giay"
CUT_MARGIN_PX = 4 * 96 / 25.4


@dataclass(frozen=True, slots=True)
class RenderSettings:
    """Where printing finds its configuration: the public URL in QR codes, template overrides, the cache folder."""

    public_base_url: str = DEFAULT_PUBLIC_BASE_URL
    override_dir: Path | None = None
    cache_dir: Path | None = None


def render_settings(settings: Settings) -> RenderSettings:
    """Return the :class:`RenderSettings` of the service's settings; the PDF cache is a folder of the data folder."""
    override = settings.template_override_dir
    return RenderSettings(
        public_base_url=settings.public_base_url,
        override_dir=override.resolve() if override is not None else None,
        cache_dir=settings.data_dir / CACHE_FOLDER,
    )


def _font_config() -> FontConfiguration:
    """Return this thread's font configuration, made once.

    WeasyPrint otherwise builds a new one per document: it reloads Fontconfig and starts Pango with empty caches,
    which doubled the time of a receipt here. Pango objects are not shared across threads, hence one per thread.
    """
    config: FontConfiguration | None = getattr(_thread, "font_config", None)
    if config is None:
        config = _thread.font_config = FontConfiguration()
    return config


@cache
def stylesheets(override_dir: Path | None, names: tuple[str, ...]) -> tuple[weasyprint.CSS, ...]:
    """Return the stylesheets ``names`` (from the overrides, else ours), parsed once per process.

    Given to WeasyPrint as parsed objects rather than inline ``<style>``: parsing them on every document cost about
    a twentieth of a receipt's render time.
    """
    env = environment(override_dir)
    assert env.loader is not None  # environment() always sets one
    try:
        return tuple(weasyprint.CSS(string=env.loader.get_source(env, name)[0]) for name in names)
    except TemplateError as exc:
        raise RenderError(f"stylesheet missing: {exc}") from exc


def html_to_pdf(html: str, *, styles: tuple[weasyprint.CSS, ...] = ()) -> bytes:
    """Render an HTML string (with ``styles`` after its own) to PDF bytes; fonts are subset to the glyphs used.

    A roll template ends with an element whose id is :data:`CUT_ANCHOR`: the last page is then cut just below it
    (plus :data:`CUT_MARGIN_PX`), as a counter printer cuts its paper, instead of running to the full page height.
    The garbage collector is paused meanwhile (see :mod:`~einvoice.render.collector`).
    """
    with collector_paused():
        document = weasyprint.HTML(string=html).render(font_config=_font_config(), stylesheets=list(styles))
        last = document.pages[-1]
        if CUT_ANCHOR in last.anchors:
            last.height = min(last.height, last.anchors[CUT_ANCHOR][1] + CUT_MARGIN_PX)
        pdf: bytes = document.write_pdf()
    return pdf


def read_signed(xml: bytes) -> tuple[Invoice | Receipt, etree._Element]:
    """Read the document in ``xml`` with the hardened parser; return it and its root element."""
    try:
        root = load_root(xml)
        document, problems = read_document(root)
    except EInvoiceError as exc:
        raise RenderError(f"the signed XML cannot be read: {exc}") from exc
    if problems:
        raise RenderError(f"the signed XML cannot be read: {InvalidDocumentError(problems)}")
    return document, root


def render_document_html(
    xml: bytes,
    *,
    layout: Layout,
    copy: bool = False,
    converted: Conversion | None = None,
    settings: RenderSettings | None = None,
    replaced_by: RelatedDocument | None = None,
) -> str:
    """Return the HTML that prints the signed document ``xml`` in ``layout`` (its stylesheets are given apart)."""
    chosen = settings or RenderSettings()
    return _render_html(xml, layout=layout, copy=copy, converted=converted, settings=chosen, replaced_by=replaced_by)[0]


def _render_html(
    xml: bytes,
    *,
    layout: Layout,
    copy: bool,
    converted: Conversion | None,
    settings: RenderSettings,
    replaced_by: RelatedDocument | None = None,
) -> tuple[str, str]:
    """Return the HTML and the name of the template that made it."""
    document, root = read_signed(xml)
    name = template_name(document, layout) if layout in LAYOUTS else None
    if name is None:
        raise RenderError(f"layout {layout!r} does not print a {type(document).__name__.lower()}")
    context = print_context(
        document,
        signatures=read_signatures(root),
        authority_code=authority_code(root),
        public_base_url=settings.public_base_url,
        copy=copy,
        converted=converted,
        replaced_by=replaced_by,
    )
    try:
        return environment(settings.override_dir).get_template(name).render(context), name
    except TemplateError as exc:
        raise RenderError(f"template {name} failed: {exc}") from exc


def render_document_pdf(
    xml: bytes,
    *,
    layout: Layout,
    template_version: str,
    copy: bool = False,
    converted: Conversion | None = None,
    settings: RenderSettings | None = None,
    replaced_by: RelatedDocument | None = None,
) -> bytes:
    """Return the PDF of the signed document ``xml``, from the cache when it was rendered before.

    ``copy`` marks a reprint (BẢN SAO); ``converted`` makes the converted copy for paper archives; ``replaced_by``
    names the document that replaced this one, printed on every later print of a replaced document. Raises
    :class:`RenderError` on any failure and never touches the document's storage.
    """
    settings = settings or RenderSettings()
    key = cache_key(
        xml, layout=layout, template_version=template_version, copy=copy, converted=converted, replaced_by=replaced_by
    )
    store = PdfCache(settings.cache_dir) if settings.cache_dir is not None else None
    if store is not None and (cached := store.get(key)) is not None:
        return cached
    html, template = _render_html(
        xml, layout=layout, copy=copy, converted=converted, settings=settings, replaced_by=replaced_by
    )
    styles = stylesheets(settings.override_dir, stylesheet_names(template))
    try:
        pdf = html_to_pdf(html, styles=styles)
    except Exception as exc:  # WeasyPrint raises many kinds; each one means the same thing to our caller
        raise RenderError(f"WeasyPrint failed on layout {layout}: {exc}") from exc
    if store is not None:
        with contextlib.suppress(OSError):  # a full or read-only cache only costs a re-render next time
            store.put(key, pdf)
    return pdf

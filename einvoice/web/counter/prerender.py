"""Rendering a receipt's PDF as soon as it is issued at the counter, so the print frame finds it ready.

After the issuing transaction has committed (never inside it: a render failure must not undo a receipt), the
counter's issue view hands the receipt's XML of record to one background thread per app, which renders it into the
PDF cache (:mod:`einvoice.render.cache`) exactly as the counter's PDF request would (same layout, template version
and settings: :func:`einvoice.web.printing.print_options`). The PDF request then waits for a render still running
for its receipt instead of rendering it a second time, and is served from the cache. Nothing depends on the
background render: if it fails or is late the request renders as before. One worker thread only, so a busy counter
never has more than one render competing with the page for the interpreter.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from flask import current_app

from einvoice.render.errors import RenderError
from einvoice.render.pdf import render_document_pdf
from einvoice.services.issuing import Actor
from einvoice.services.queries import get_document_of_record
from einvoice.web.counter.base import counter_day
from einvoice.web.printing import print_options
from einvoice.web.runtime import runtime

log = logging.getLogger(__name__)
#: How long a PDF request waits for the background render of its receipt before rendering it itself.
WAIT_SECONDS = 30.0
_EXTENSION = "counter_prerender"


class Prerenderer:
    """One app's background renders: a one-thread executor and the renders still running, by document id."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="counter-pdf")
        self._running: dict[int, Future[None]] = {}
        self._lock = threading.Lock()

    def start(self, document: dict[str, Any], xml: bytes) -> None:
        """Start rendering ``document`` (its XML of record ``xml``) into the PDF cache, as the counter prints it."""
        options = print_options(document)  # read here: the worker has no app context
        if options["settings"].cache_dir is None:
            return  # nowhere to put it: the request renders it anyway
        document_id = int(document["id"])

        def render() -> None:
            try:
                render_document_pdf(xml, copy=False, **options)
            except RenderError:  # the PDF request renders it again and reports the failure there
                log.exception("background PDF of document %s failed", document_id)

        with self._lock:
            future = self._executor.submit(render)
            self._running[document_id] = future
        future.add_done_callback(lambda done: self._forget(document_id, done))

    def wait(self, document_id: int, timeout: float = WAIT_SECONDS) -> None:
        """Wait for a render of ``document_id`` still running (the cache then holds its PDF); return at once if none."""
        with self._lock:
            future = self._running.get(document_id)
        if future is None:
            return
        try:
            future.result(timeout=timeout)
        except FutureTimeout:
            log.warning("background PDF of document %s still running after %s s", document_id, timeout)

    def _forget(self, document_id: int, done: Future[None]) -> None:
        with self._lock:
            if self._running.get(document_id) is done:
                del self._running[document_id]


def after_issue(document_id: int, actor: Actor) -> None:
    """Start rendering the receipt the counter has just issued (its transaction committed) for the print frame.

    The app setting ``COUNTER_PRERENDER = False`` turns it off (the benchmark compares both in one run)."""
    if not current_app.config.get("COUNTER_PRERENDER", True):
        return
    document, xml = get_document_of_record(runtime().engine, document_id, actor, counter_day=counter_day())
    prerenderer().start(document, xml)


def prerenderer() -> Prerenderer:
    """Return the current app's prerenderer, made on first use."""
    found = current_app.extensions.get(_EXTENSION)
    if found is None:
        found = current_app.extensions.setdefault(_EXTENSION, Prerenderer())
    assert isinstance(found, Prerenderer)
    return found

"""The garbage collector paused while WeasyPrint renders: overlapping renders share the pause, failures resume it."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

import einvoice.render.pdf as pdf_module
from einvoice.render.collector import collector_paused
from einvoice.render.pdf import html_to_pdf


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    """Start each test with the collector on and leave it on, whatever the test did."""
    gc.enable()
    yield
    gc.enable()


def test_render_pauses_the_collector_and_resumes_it() -> None:
    """The collector is off while WeasyPrint writes the PDF and on again afterwards."""
    seen: list[bool] = []
    original = pdf_module._font_config

    def spy() -> object:
        seen.append(gc.isenabled())
        return original()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pdf_module, "_font_config", spy)
        assert html_to_pdf("<p>Biên lai</p>").startswith(b"%PDF")
    assert seen == [False]
    assert gc.isenabled()


def test_a_failed_render_resumes_the_collector() -> None:
    """A render that raises leaves the collector on."""
    with pytest.raises(ValueError, match="boom"), collector_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_overlapping_pauses_resume_only_when_the_last_ends() -> None:
    """Two threads rendering at once: the first to finish does not turn the collector back on under the other."""
    first_in, second_done = threading.Event(), threading.Event()
    during: list[bool] = []

    def first() -> None:
        with collector_paused():
            first_in.set()
            second_done.wait(timeout=10)
            during.append(gc.isenabled())

    thread = threading.Thread(target=first)
    thread.start()
    first_in.wait(timeout=10)
    with collector_paused():
        pass
    second_done.set()
    thread.join(timeout=10)
    assert during == [False]
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_caller_stays_off() -> None:
    """If the process had the collector off, a render does not turn it on."""
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()

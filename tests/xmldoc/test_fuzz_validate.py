"""Validation never raises: any value in any element of a valid document can be garbage, and we get problems."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from einvoice.xmldoc.profiles import Profile
from einvoice.xmldoc.validate import judge_document, validate_document

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
DOCUMENTS = [p.read_bytes() for p in sorted(GOLDEN.glob("*.xml"))]
_TEXT = re.compile(rb">([^<]+)<")
garbage = st.one_of(
    st.sampled_from(["", "NaN", "-Infinity", "1e400", "9" * 30, "-0", "2025-02-30", "KHAC:", "5", "0.0000001", " "]),
    st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="<&"), max_size=40),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=st.sampled_from(DOCUMENTS), data=st.data())
def test_garbage_in_any_element_gives_problems_not_exceptions(document: bytes, data: st.DataObject) -> None:
    """Replacing the text of any element with garbage yields a list of problems and never an exception."""
    spans = [m.span(1) for m in _TEXT.finditer(document)]
    start, end = data.draw(st.sampled_from(spans))
    value = data.draw(garbage).encode("utf-8")
    mutated = document[:start] + value + document[end:]
    problems = validate_document(mutated)
    assert isinstance(problems, list)
    if mutated != document:
        assert all(p.code and p.path.startswith("/") for p in problems)


_ELEMENT = re.compile(rb"<([A-Za-z]+)>[^<]*</\1>")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=st.sampled_from(DOCUMENTS), data=st.data())
def test_garbage_or_moved_elements_never_break_the_read_profile(document: bytes, data: st.DataObject) -> None:
    """Under the read profile, garbage values and elements moved or emptied anywhere give problems, not exceptions."""
    spans = [m.span() for m in _ELEMENT.finditer(document)]
    start, end = data.draw(st.sampled_from(spans))
    element = document[start:end]
    action = data.draw(st.sampled_from(["empty", "move", "garbage"]))
    if action == "empty":
        mutated = (
            document[:start] + element[: element.index(b">") + 1] + element[element.index(b"</") :] + document[end:]
        )
    elif action == "move":
        target = data.draw(st.sampled_from([s for s, _ in spans]))
        rest = document[:start] + document[end:]
        target = min(target, len(rest))
        target = rest.rfind(b"<", 0, target + 1)
        mutated = rest[:target] + element + rest[target:]
    else:
        value = data.draw(garbage).encode("utf-8")
        inner = element.index(b">") + 1
        mutated = document[:start] + element[:inner] + value + element[element.index(b"</") :] + document[end:]
    judgement = judge_document(mutated, Profile.READ)
    assert all(p.code and p.path.startswith("/") for p in (*judgement.errors, *judgement.warnings))

"""The search form of names: accents, đ, case and spacing do not matter."""

from __future__ import annotations

import pytest

from einvoice.services.search import search_key


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("Trần Thị Bích", "tran thi bich"), ("ĐỖ  VĂN  ĐẠT", "do van dat"), ("Công ty Hoa Sen", "cong ty hoa sen")],
)
def test_search_key_drops_accents_and_case(typed: str, stored: str) -> None:
    """Vietnamese names reduce to plain lower-case words."""
    assert search_key(typed) == stored


def test_search_key_keeps_none() -> None:
    """An absent name stays absent."""
    assert search_key(None) is None

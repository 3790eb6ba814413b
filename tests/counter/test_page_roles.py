"""Every staff page × every role, against the table in ``page_roles``: a new page without an entry fails."""

from __future__ import annotations

import re
from typing import Any

import pytest
from counter.conftest import PASSWORDS, sign_in
from counter.page_roles import PAGES, PUBLIC
from flask import Flask

ROLES = ("anonymous", "cashier", "finance", "admin")
STAFF_BLUEPRINTS = ("counter.", "finance_pages.")


def _page_routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS") and rule.endpoint.startswith(STAFF_BLUEPRINTS)
    }


def test_every_page_has_a_table_entry(counter_app: Flask) -> None:
    """The table names exactly the staff pages' routes."""
    assert _page_routes(counter_app) == set(PAGES)


@pytest.mark.parametrize("role", ROLES)
def test_each_page_answers_each_role_as_the_table_says(counter_app: Flask, world: dict[str, Any], role: str) -> None:
    """Anonymous visitors are sent to sign in, other roles get 403, allowed ones pass; nobody gets a 5xx."""
    client = counter_app.test_client()
    if role != "anonymous":
        sign_in(client, world["users"][role]["username"], PASSWORDS[role])
    wrong = []
    for rule, method in sorted(PAGES):
        if rule == "/dang-xuat":
            continue  # signing out would end the walk's session
        url = re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "999999", rule)
        answer = client.open(url, method=method, data={})
        allowed = PAGES[(rule, method)]
        status = answer.status_code
        if allowed == PUBLIC or role in allowed:
            ok = status != 403 and status < 500 and not answer.headers.get("Location", "").startswith("/dang-nhap")
        elif role == "anonymous":
            ok = status == 302 and answer.headers["Location"].startswith("/dang-nhap")
        else:
            ok = status == 403
        if not ok:
            wrong.append(f"{method} {rule} as {role}: {status}")
    assert wrong == []

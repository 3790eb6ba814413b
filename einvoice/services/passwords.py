"""The password policy: at least 12 characters, not one of the commonest passwords, not a trivial pattern.

Length matters most (NIST SP 800-63B): no rules about digits or symbols, but a refusal of what attackers try first —
the bundled list of the commonest passwords and their stems (``password2024!`` is ``password``), one character or a
short pattern repeated, a run such as ``123456789012`` or ``abcdefghijkl``, and the account's own username.
"""

from __future__ import annotations

import itertools
import re
from functools import cache
from importlib import resources

from einvoice.domain.errors import Problem

MIN_LENGTH = 12
_ENDS = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@cache
def common_passwords() -> frozenset[str]:
    """Return the bundled list of common passwords and stems, lower-case."""
    text = resources.files("einvoice.services").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _is_run(text: str) -> bool:
    """Tell whether every character is the one after (or before) the previous one: ``0123…``, ``9876…``, ``abcd…``."""
    steps = {
        (ord(b) - ord(a)) if not (a.isdigit() and b.isdigit()) else (int(b) - int(a)) % 10
        for a, b in itertools.pairwise(text)
    }
    return steps in ({1}, {-1}, {9})


def password_problems(password: str, username: str | None = None) -> list[Problem]:
    """Return why ``password`` may not be used (empty when it may)."""
    found: list[Problem] = []

    def refuse(code: str, vi: str, en: str) -> None:
        found.append(Problem(code, "password", vi, en))

    if len(password) < MIN_LENGTH:
        refuse("password_short", f"Mật khẩu phải có ít nhất {MIN_LENGTH} ký tự", f"at least {MIN_LENGTH} characters")
        return found
    lower = password.lower()
    if len(set(lower)) < 4 or re.fullmatch(r"(.+?)\1+", lower, flags=re.DOTALL) or _is_run(lower):
        refuse("password_pattern", "Mật khẩu quá dễ đoán (lặp lại hoặc dãy liên tiếp)", "a repeated pattern or a run")
    elif lower in common_passwords() or _ENDS.sub("", lower) in common_passwords():
        refuse("password_common", "Mật khẩu này quá phổ biến, hãy chọn mật khẩu khác", "one of the commonest passwords")
    elif username and len(username) >= 3 and username.lower() in lower:
        refuse("password_username", "Mật khẩu không được chứa tên đăng nhập", "contains the username")
    return found

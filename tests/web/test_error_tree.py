"""The exception tree drawn in einvoice.domain.errors is true: each branch answers the HTTP status drawn beside it."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from flask import Flask

import einvoice
import einvoice.domain.errors
from einvoice.domain.errors import EInvoiceError, Problem
from einvoice.domain.lifecycle import Action, State
from einvoice.web import create_app

#: ``├── ClassName   module   meaning   status``: the status is the last column, ``—`` when it never reaches a request.
_BRANCH = re.compile(r"^\s*[│ ]*[├└]── (?P<name>\w+)(?:\s+(?P<module>[a-z_.]+)\s)?.*?(?P<status>\d{3}|—)?$")
_PROBLEM = Problem("CODE", "/", "vì sao", "why")


def _drawn() -> list[tuple[str, int | None]]:
    """Return every class drawn in the tree with its status; a line without one inherits its parent's."""
    doc = einvoice.domain.errors.__doc__ or ""
    lines = doc[doc.index("EInvoiceError  ") :].split("\n\n")[0].splitlines()
    drawn: list[tuple[str, int | None]] = [("EInvoiceError", 500)]
    parents: dict[int, int | None] = {-1: 500}  # depth of a branch -> its status
    for line in lines[1:]:
        found = _BRANCH.match(line)
        if found is None:
            continue
        depth = line.index("──")
        status = found["status"]
        inherited = parents[max(d for d in parents if d < depth)]
        parents = {d: s for d, s in parents.items() if d < depth}
        parents[depth] = None if status == "—" else int(status) if status else inherited
        drawn.append((found["name"], parents[depth]))
    return drawn


def _defined() -> dict[str, type[EInvoiceError]]:
    """Import every module of einvoice and return each EInvoiceError subclass it defines, by name."""
    for info in pkgutil.walk_packages(einvoice.__path__, "einvoice."):
        importlib.import_module(info.name)

    def subclasses(cls: type[EInvoiceError]) -> list[type[EInvoiceError]]:
        return [cls, *(sub for direct in cls.__subclasses__() for sub in subclasses(direct))]

    return {cls.__name__: cls for cls in subclasses(EInvoiceError) if cls.__module__.startswith("einvoice.")}


def _instance(cls: type[EInvoiceError]) -> EInvoiceError:
    """Return an instance of ``cls``: those that carry problems get one, the others a message."""
    if cls.__name__ in ("InvalidDocumentError", "RequestProblemsError"):
        return cls([_PROBLEM])  # type: ignore[call-arg]
    if cls.__name__ == "UnsafeInputError":
        return cls(_PROBLEM)  # type: ignore[call-arg]
    if cls.__name__ == "IllegalTransition":
        return cls(Action.REPLACE, State(), "Không thể thay thế.", "cannot replace")  # type: ignore[call-arg]
    return cls("what went wrong")


def test_tree_names_every_exception_of_einvoice() -> None:
    """Every EInvoiceError subclass of any einvoice module is drawn in the tree, and nothing else is."""
    assert {name for name, _ in _drawn()} == set(_defined())


@pytest.fixture(scope="module")
def raising_app() -> Flask:
    """Return an app with a route that raises the exception class named in the URL."""
    app = create_app({"TESTING": True})
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/raise/<name>")
    def _raise(name: str) -> str:
        raise _instance(_defined()[name])

    return app


@pytest.mark.parametrize(("name", "status"), [(name, status) for name, status in _drawn() if status is not None])
def test_each_branch_answers_its_drawn_status(raising_app: Flask, name: str, status: int) -> None:
    """Raising the class in a request answers exactly the status the tree draws for it, in the JSON error shape."""
    answer = raising_app.test_client().get(f"/raise/{name}")
    assert answer.status_code == status
    assert answer.get_json()["status"] == status

"""Where the shipped resources (XSD schemas, Jinja templates) live.

One place decides it: in a wheel they are packaged under ``einvoice/_data``; in a source checkout they are the
top-level ``schemas/`` and ``templates/`` folders. The setting ``RESOURCE_DIR`` (``EINVOICE_RESOURCE_DIR``)
overrides both. Nothing here looks at the current working directory.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from einvoice.settings import load_settings

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def resource_root() -> Path:
    """Return the folder that holds ``schemas/`` and ``templates/``."""
    override = load_settings().resource_dir
    if override is not None:
        return Path(override).resolve()
    packaged = _PACKAGE_DIR / "_data"
    if (packaged / "schemas").is_dir():
        return packaged
    return _PACKAGE_DIR.parent


def schemas_dir() -> Path:
    """Return the folder of the XSD schemas."""
    return resource_root() / "schemas"


def templates_dir() -> Path:
    """Return the folder of the Jinja templates shipped with einvoice."""
    return resource_root() / "templates"

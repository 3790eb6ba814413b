"""The Jinja environment of the print templates: an agency's override folder first, then the shipped templates.

An agency that wants its own header or wording copies one of our templates into ``EINVOICE_TEMPLATE_OVERRIDE_DIR``
under the same relative name and edits it; anything it does not override comes from ours. Missing variables are
errors (``StrictUndefined``), so a broken override fails loudly instead of printing blanks.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from einvoice.render.context import FILTERS
from einvoice.resources import templates_dir


@cache
def environment(override_dir: Path | None = None) -> Environment:
    """Return the (shared, cached) Jinja environment searching ``override_dir`` before our templates."""
    search = [FileSystemLoader(str(override_dir))] if override_dir is not None else []
    env = Environment(
        loader=ChoiceLoader([*search, FileSystemLoader(str(templates_dir()))]),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env

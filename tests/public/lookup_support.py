"""Building the app of the public-page tests: signing with the TEST-ONLY certificates and trusting their root."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from flask import Flask
from render.signed_docs import ROOT_CA, signer_for
from sqlalchemy import Engine
from sqlalchemy.engine import RowMapping

from einvoice.services.issuing import Toolchain
from einvoice.web import create_app
from einvoice.xmldoc.build import BuiltDocument
from einvoice.xmldoc.sign import sign_built
from einvoice.xmldoc.validate import validate_document

PUBLIC_BASE_URL = "https://tracuu.xaankhanh.gov.vn"


def sign_as_issuer(built: BuiltDocument, issuer: RowMapping, moment: datetime) -> bytes:
    """Sign with the issuer's TEST-ONLY certificate (the world's issuer has the collector's tax code)."""
    return sign_built(built, signer_for(issuer["tax_code"]), signing_time=moment, expected_tax_code=issuer["tax_code"])


def make_public_app(engine: Engine, clock: Callable[[], datetime], data_dir: Path, **config: object) -> Flask:
    """Return an app on ``engine`` that signs with the TEST-ONLY certificates and trusts their root."""
    trust = data_dir / "trust"
    trust.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT_CA, trust / "root.pem")
    settings: dict[str, object] = {
        "TESTING": True,
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "DATA_DIR": data_dir,
        "TOOLCHAIN": Toolchain(validate=validate_document, sign=sign_as_issuer),
        "CLOCK": clock,
        "TRUST_DIR": str(trust),
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "PUBLIC_RATE_PER_MINUTE": 60_000,
        "PUBLIC_RATE_BURST": 10_000,
    }
    settings.update(config)
    return create_app(settings)


def text_of(html: bytes) -> str:
    """Return the visible text of a page, tags removed and whitespace folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", html.decode()).split())

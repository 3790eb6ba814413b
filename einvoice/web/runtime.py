"""What the web layer works with: the database engine, the issuing toolchain, the clock and the process that checks
uploads (:mod:`einvoice.services.check_process`, started on the first check), made once per app.

They are made on first use, not in ``create_app``: building an app (for ``--help``, for a test) touches no disk.
Making them runs the migrations and refuses to go on with a weak secret key, and in production without a key of its
own, with an issuer whose certificate is a development one, or while a demo account keeps its printed password.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from flask import Flask, current_app
from sqlalchemy import Engine, select

from einvoice.domain.errors import EInvoiceError
from einvoice.gateway.simulator import authority_root_path
from einvoice.services.check_process import CheckConfig, CheckProcess
from einvoice.services.issuing import Now, Toolchain
from einvoice.settings import Settings
from einvoice.storage.engine import configured_url, make_engine, migrate
from einvoice.storage.schema import issuers
from einvoice.web.secret_key import weakness

_EXTENSION = "einvoice.runtime"
#: Where ``create_app`` keeps the app's :class:`~einvoice.settings.Settings`.
SETTINGS_EXTENSION = "einvoice.settings"
_lock = threading.Lock()


class RefusedToStart(EInvoiceError, RuntimeError):
    """The configuration is not safe for production; the message says what to change."""


@dataclass(frozen=True)
class Runtime:
    """The engine, toolchain, clock and upload checker of one app."""

    engine: Engine
    tools: Toolchain
    now: Now
    checker: CheckProcess


def settings_of(app: Flask | None = None) -> Settings:
    """Return the settings ``app`` (the current app by default) was made with."""
    target = app or cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]
    return cast(Settings, target.extensions[SETTINGS_EXTENSION])


def utc_now() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)


def check_secret_key(app: Flask) -> None:
    """Refuse a weak secret key anywhere, and a missing one in production (development makes its own).

    The key checked is the one that signs, ``app.config["SECRET_KEY"]``: the configured one, or in development the
    instance's own once a request has made it.
    """
    key = app.config.get("SECRET_KEY")
    advice = (
        "set EINVOICE_SECRET_KEY to a long random value, e.g. "
        "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
    )
    if not key:
        if settings_of(app).env == "production":
            raise RefusedToStart(f"EINVOICE_ENV=production but no secret key is configured: {advice}")
        return
    reason = weakness(str(key))
    if reason is not None:
        raise RefusedToStart(f"the secret key is too weak ({reason}): {advice}")


def check_certificates(app: Flask, engine: Engine) -> None:
    """Refuse, in production, any issuer whose configured signing certificate is a development certificate."""
    if settings_of(app).env != "production":
        return
    from einvoice.services.toolchain import SignerCache
    from einvoice.signing.certificates import is_development_certificate

    cache = SignerCache()
    with engine.connect() as conn:
        rows = conn.execute(select(issuers).where(issuers.c.signer_p12_path.is_not(None))).mappings().all()
    for row in rows:
        if is_development_certificate(cache.signer_for(row).certificate):
            raise RefusedToStart(
                f"EINVOICE_ENV=production but issuer {row['id']} ({row['tax_code']}) signs with a development "
                f"certificate ({row['signer_p12_path']}): configure its real certificate before starting"
            )


def check_demo_accounts(app: Flask, engine: Engine) -> None:
    """Refuse, in production, while an account a first start printed the password of is still active."""
    if settings_of(app).env != "production":
        return
    from einvoice.services.accounts import active_demo_accounts

    demo = active_demo_accounts(engine)
    if demo:
        raise RefusedToStart(
            f"EINVOICE_ENV=production but the demo accounts {', '.join(demo)} still have the passwords printed at "
            "the first start: give each a new password or disable it before starting"
        )


def build_runtime(app: Flask) -> Runtime:
    """Make the runtime of ``app``: engine (migrated), toolchain, clock; check production safety."""
    check_secret_key(app)
    settings = settings_of(app)
    data_dir = settings.data_dir
    url = configured_url(settings.database_url, data_dir)
    if url.startswith("sqlite"):
        data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    try:
        migrate(engine)
        check_certificates(app, engine)
        check_demo_accounts(app, engine)
    except BaseException:
        engine.dispose()  # refused, or the database failed: no runtime keeps this engine, so close it now
        raise
    tools = app.config.get("TOOLCHAIN")
    if tools is None:
        from einvoice.services.toolchain import pkcs12_toolchain

        tools = pkcs12_toolchain()
    clock = cast(Callable[[], datetime], app.config.get("CLOCK") or utc_now)
    production = settings.env == "production"
    roots = () if production else (authority_root_path(settings.data_dir),)
    check = CheckConfig(url, settings.trust_dir, production, settings.public_check_nice, roots)
    return Runtime(engine, tools, clock, CheckProcess(check, timeout=settings.public_check_timeout_seconds))


def runtime(app: Flask | None = None) -> Runtime:
    """Return the runtime of ``app`` (the current app by default), making it on first use."""
    target = app or cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]
    found = target.extensions.get(_EXTENSION)
    if found is None:
        with _lock:
            found = target.extensions.get(_EXTENSION)
            if found is None:
                found = target.extensions[_EXTENSION] = build_runtime(target)
    return cast(Runtime, found)


def dispose(app: Flask) -> None:
    """Close the app's database connections and stop its check process (tests, shutdown)."""
    found = app.extensions.pop(_EXTENSION, None)
    if found is not None:
        found.checker.close()
        found.engine.dispose()

"""The settings of einvoice: one table of every key, read once from ``EINVOICE_*`` environment variables.

Each field of :class:`Settings` is one key: its name upper-cased is the key (``data_dir`` is ``DATA_DIR``, set by
``EINVOICE_DATA_DIR``), its annotation is the type, ``setting(default, meaning)`` gives the default and what it does.
Three layers, each overriding the one before: the defaults in the table, the environment, then the mapping a caller
passes (tests pass theirs to ``create_app``). Values are checked as they are read: a malformed one stops start-up
with :class:`SettingsError` naming the variable. ``EINVOICE_*`` variables that are not keys here (the scripts' own,
such as ``EINVOICE_PORT``, or ``EINVOICE_SIGNING_PASSWORD``, which an issuer names and the signer reads when it
signs) are left alone.

Who reads them: the app factory (``create_app`` makes one :class:`Settings`, keeps it as ``settings_of(app)`` and
mirrors it into ``app.config`` under the upper-case keys, which Flask reads), the commands (:func:`load_settings`),
and the resource lookup (:mod:`einvoice.resources`). Nothing else reads the environment for configuration.

Adding a key is one line in :class:`Settings`, e.g.::

    session_idle_minutes: int = setting(30, "minutes without a request after which a staff session ends")

Supported types: ``str``, ``int``, ``float``, ``bool``, ``Path``, a ``Literal`` of strings, and ``X | None`` of
those (an empty variable is ``None``). Read it as ``settings_of(app).session_idle_minutes`` in the web layer or
``load_settings().session_idle_minutes`` in a command; then regenerate the README's table with
``einvoice settings --markdown`` (``tests/test_settings.py`` fails until the README matches).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import einvoice
from einvoice.domain.errors import EInvoiceError
from einvoice.xmldoc.safe import MAX_XML_BYTES

PREFIX = "EINVOICE_"

#: Where QR codes and lookup links point unless ``PUBLIC_BASE_URL`` says otherwise (``scripts/serve.sh``'s address).
DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"

_SOURCE_ROOT = Path(einvoice.__file__).resolve().parent.parent


def default_data_dir() -> Path:
    """Return where instance data lives unless ``EINVOICE_DATA_DIR`` says otherwise.

    From a source checkout it is ``var/`` beside ``pyproject.toml`` (ignored by git); from an
    installed wheel it is ``var/einvoice`` under the Python prefix, where Flask puts instance
    folders. Never the current directory, so the data does not move with the shell.
    """
    if (_SOURCE_ROOT / "pyproject.toml").is_file():
        return _SOURCE_ROOT / "var"
    return Path(sys.prefix) / "var" / "einvoice"


class SettingsError(EInvoiceError, ValueError):
    """A setting has a value of the wrong type or outside its choices; the message names the variable."""


def setting(default: Any, meaning: str, *, shown: str | None = None, secret: bool = False) -> Any:
    """Declare one key of :class:`Settings`: its default, what it means, and how the README shows the default.

    A callable ``default`` is called for each :class:`Settings` made (e.g. a folder that depends on the install).
    A ``secret`` is left out of the settings' ``repr``, so that it never reaches a log.
    """
    metadata = {"meaning": meaning, "shown": shown}
    if callable(default):
        return field(default_factory=default, metadata=metadata, repr=not secret)
    return field(default=default, metadata=metadata, repr=not secret)


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting of einvoice, typed; the fields below are the table the README shows."""

    env: Literal["development", "production"] = setting(
        "development", "`development` or `production` (which refuses development secrets); anything else stops start-up"
    )
    data_dir: Path = setting(
        default_data_dir,
        "instance data: SQLite database, development CA, PDF cache",
        shown="`var/` in a checkout; `<venv>/var/einvoice` when installed from a wheel",
    )
    database_url: str | None = setting(
        None,
        "e.g. `postgresql+psycopg://einvoice@db/einvoice`; same migrations as SQLite",
        shown="SQLite file `einvoice.sqlite3` in the data folder",
    )
    secret_key: str | None = setting(
        None,
        "signs session cookies: at least 32 random characters, e.g. "
        "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`; required in production; known, short or "
        "repetitive keys are refused everywhere",
        shown="development: a random key made on first use, kept in `secret_key` in the data folder",
        secret=True,
    )
    session_idle_minutes: int = setting(60, "a staff session unused this long (minutes) ends")
    session_max_hours: int = setting(12, "a staff session ends this long (hours) after its login, however busy")
    session_cookie_secure: bool | None = setting(
        None, "send the session cookie over HTTPS only", shown="on in production, off in development"
    )
    proxy_count: int = setting(
        0,
        "reverse proxies in front whose `X-Forwarded-For`/`-Proto`/`-Host`/`-Port` are believed "
        "(see Operations, behind a reverse proxy)",
    )
    token_days: int = setting(365, "lifetime in days of a new API token unless its request says `valid_days`")
    trust_dir: Path | None = setting(
        None,
        "folder of CA certificates (PEM) trusted when verifying uploads (see *Trust store*)",
        shown="none: no signer is confirmed",
    )
    max_upload_bytes: int = setting(
        MAX_XML_BYTES,
        "largest upload, in bytes, of the verify API and the public check page (bigger requests get 413); "
        "at most 5 MiB, what the XML parser reads",
        shown="5242880 (5 MiB)",
    )
    public_base_url: str = setting(
        DEFAULT_PUBLIC_BASE_URL,
        "address printed in QR codes and lookup links (`<url>/tra-cuu/<code>`)",
        shown="`http://127.0.0.1:<port>` (the port of `scripts/serve.sh`, 8000)",
    )
    public_rate_per_minute: float = setting(
        30.0, "requests per minute a client address may make to the public pages", shown="`30`"
    )
    public_rate_burst: int = setting(20, "requests a client address may make at once to the public pages")
    public_upload_max_bytes: int = setting(
        512 * 1024,
        "largest file the public check page reads (a lower cap than `MAX_UPLOAD_BYTES`; refused from its length, "
        "unread): real invoices are a few KB to a few hundred KB",
        shown="524288 (512 KiB)",
    )
    public_check_concurrency: int = setting(
        1, "uploaded documents checked at once in the whole service (public page and verify API), one per address"
    )
    public_check_timeout_seconds: float = setting(
        20.0,
        "seconds a check of an upload may take before it is given up (503, try again later); keep it under "
        "gunicorn's worker timeout (30 s)",
        shown="`20`",
    )
    public_check_nice: int = setting(
        10,
        "CPU priority (`nice`, 0-19) of the processes that check uploads: higher leaves more of a busy CPU to issuing",
    )
    public_agency_name: str | None = setting(
        None, "the agency named in the public pages' header", shown="the issuer's name, when there is one issuer"
    )
    public_agency_logo: Path | None = setting(None, "the agency's logo (PNG, JPEG or SVG) for that header")
    template_override_dir: Path | None = setting(
        None, "an agency's own templates and stylesheets, searched before ours"
    )
    template_version: str | None = setting(
        None, "bump after changing an override, so cached PDFs are rendered anew", shown="the shipped version"
    )
    resource_dir: Path | None = setting(
        None,
        "folder holding `schemas/` and `templates/`",
        shown="the repository's top level; `einvoice/_data` in a wheel",
    )
    vietqr_bank_bin: str | None = setting(
        None, "the agency's bank (6-digit NAPAS BIN) the counter's VietQR pays into", shown="none: no QR for transfers"
    )
    vietqr_account: str | None = setting(None, "the agency's account number the counter's VietQR pays into")
    vietqr_reference_prefix: str = setting(
        "LP", "first word of a transfer's reference (`LP 26T 57`: prefix, series, number; at most 25 ASCII in all)"
    )
    counter_print_layout: Literal["a5", "roll80"] = setting("a5", "the paper counters print receipts on")
    roll80_counters: str | None = setting(
        None, "ids of the counters that print on an 80 mm roll instead, comma-separated (`2,5`)"
    )
    legacy_cancel: bool = setting(
        False,
        "allow the plain cancel (hủy, `TCTBao=1` in an error notice 04/SS-HĐĐT) of invoices issued before "
        "1 July 2026 (legacy periods); Circular 91 has no cancel procedure, so later documents are never cancelled",
        shown="off: nothing is cancelled; adjust, replace or notify an error instead",
    )

    def __post_init__(self) -> None:
        if not 0 < self.max_upload_bytes <= MAX_XML_BYTES:
            raise SettingsError(
                f"{PREFIX}MAX_UPLOAD_BYTES must be between 1 and {MAX_XML_BYTES}, not {self.max_upload_bytes}"
            )
        if self.public_upload_max_bytes < 1 or self.public_check_concurrency < 1:
            raise SettingsError(
                f"{PREFIX}PUBLIC_UPLOAD_MAX_BYTES and {PREFIX}PUBLIC_CHECK_CONCURRENCY must be positive"
            )
        if self.public_check_timeout_seconds <= 0:
            raise SettingsError(f"{PREFIX}PUBLIC_CHECK_TIMEOUT_SECONDS must be positive")
        if not 0 <= self.public_check_nice <= 19:
            raise SettingsError(f"{PREFIX}PUBLIC_CHECK_NICE must be between 0 and 19, not {self.public_check_nice}")
        if self.public_rate_per_minute <= 0 or self.public_rate_burst < 1:
            raise SettingsError(f"{PREFIX}PUBLIC_RATE_PER_MINUTE and {PREFIX}PUBLIC_RATE_BURST must be positive")
        lifetimes = ("session_idle_minutes", "session_max_hours", "token_days")
        for name in lifetimes:
            if getattr(self, name) < 1:
                raise SettingsError(f"{PREFIX}{name.upper()} must be positive, not {getattr(self, name)}")
        if self.proxy_count < 0:
            raise SettingsError(f"{PREFIX}PROXY_COUNT must be 0 or more, not {self.proxy_count}")

    def as_config(self) -> dict[str, object]:
        """Return the settings as Flask configuration: upper-case keys, the values as typed."""
        return {item.name.upper(): getattr(self, item.name) for item in dataclasses.fields(self)}


def keys() -> tuple[str, ...]:
    """Return every key of the table, upper-case, in the table's order."""
    return tuple(item.name.upper() for item in dataclasses.fields(Settings))


@cache
def _types() -> dict[str, Any]:
    return typing.get_type_hints(Settings)


def _convert(key: str, value: object, wanted: Any) -> object:
    """Return ``value`` as the type ``wanted``: text is parsed, other values are checked."""
    options = typing.get_args(wanted) if isinstance(wanted, types.UnionType) else (wanted,)
    if type(None) in options and (value is None or value == ""):
        return None
    for option in options:
        if option is type(None):
            continue
        converted = _as(option, value)
        if converted is not None:
            return converted
    raise SettingsError(f"{PREFIX}{key} must be {_describe(wanted)}, not {value!r}")


def _as(option: Any, value: object) -> object | None:
    """Return ``value`` as ``option``, or ``None`` if it is not one."""
    if typing.get_origin(option) is Literal:
        return value if value in typing.get_args(option) else None
    if option is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        return {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(text)
    if option is Path:
        return Path(value) if isinstance(value, str | os.PathLike) else None
    if option in (int, float) and not isinstance(value, bool):
        return _number(option, value)
    if option is str:
        return value if isinstance(value, str) else None
    raise TypeError(f"settings of type {option!r} are not supported")


def _number(option: type[int] | type[float], value: object) -> int | float | None:
    """Return ``value`` as a number of type ``option`` (text is parsed; an ``int`` is never made from a float)."""
    if isinstance(value, str):
        try:
            return option(value.strip())
        except ValueError:
            return None
    if isinstance(value, int) or (option is float and isinstance(value, float)):
        return option(value)
    return None


def _describe(wanted: Any) -> str:
    options = typing.get_args(wanted) if isinstance(wanted, types.UnionType) else (wanted,)
    names = []
    for option in options:
        if typing.get_origin(option) is Literal:
            names.append("one of " + ", ".join(repr(choice) for choice in typing.get_args(option)))
        elif option is type(None):
            names.append("empty")
        else:
            names.append(getattr(option, "__name__", str(option)))
    return " or ".join(names)


def load_settings(environ: Mapping[str, str] | None = None, overrides: Mapping[str, object] | None = None) -> Settings:
    """Return the settings: defaults, then ``EINVOICE_*`` variables of ``environ`` (the process's), then ``overrides``.

    ``overrides`` uses the upper-case keys; keys that are not settings are ignored here (``create_app`` passes them
    on to Flask).
    """
    source = os.environ if environ is None else environ
    hints = _types()
    values: dict[str, object] = {}
    for item in dataclasses.fields(Settings):
        key = item.name.upper()
        if PREFIX + key in source:
            values[item.name] = _convert(key, source[PREFIX + key], hints[item.name])
        if overrides is not None and key in overrides:
            values[item.name] = _convert(key, overrides[key], hints[item.name])
    return Settings(**values)  # type: ignore[arg-type]  # each value was converted to its field's type


def megabytes(size: int) -> str:
    """Return ``size`` bytes in MB (MiB, as people count file sizes) the Vietnamese way: ``5``, ``1,5``."""
    return f"{size / 2**20:.1f}".removesuffix(".0").replace(".", ",")


def settings_markdown() -> str:
    """Return the README's table of settings: variable, meaning, default."""
    rows = ["| variable | meaning | default |", "| --- | --- | --- |"]
    defaults = Settings()
    for item in dataclasses.fields(Settings):
        shown = item.metadata["shown"]
        if shown is None:
            value = getattr(defaults, item.name)
            shown = "none" if value is None else f"`{value}`"
        rows.append(f"| `{PREFIX}{item.name.upper()}` | {item.metadata['meaning']} | {shown} |")
    return "\n".join(rows) + "\n"

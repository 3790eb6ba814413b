"""The WSGI entry point: ``flask --app wsgi run`` or ``gunicorn wsgi:app``; a malformed setting stops it in one line."""

from einvoice.settings import SettingsError

try:
    from einvoice.web import create_app

    app = create_app()
except SettingsError as error:  # e.g. EINVOICE_ENV=prod: say which variable, without a traceback
    raise SystemExit(f"einvoice: {error}") from None

"""The WSGI entry point: ``flask --app wsgi run`` or ``gunicorn wsgi:app``."""

from einvoice.web import create_app

app = create_app()

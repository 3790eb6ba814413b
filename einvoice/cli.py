"""The ``einvoice`` command line: one click group, each feature adding its own commands.

The same group is mounted on the Flask app (``flask --app wsgi einvoice …``) once the web layer exists; this module
stays importable without Flask so the document tools work on their own.
"""

from __future__ import annotations

import click

from einvoice.commands import archive, backup, config, devdata, document, gateway, signing, storage, users


@click.group()
def main() -> None:
    """Build, validate, sign and verify Vietnamese e-invoices and e-receipts."""


for _module in (document, signing, storage, backup, config, users, gateway, archive, devdata):
    for _command in _module.COMMANDS:
        main.add_command(_command)

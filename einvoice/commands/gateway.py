"""Commands of the road to the tax authority: the local simulator of a T-VAN and the authority."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from einvoice.commands.storage import resolve_data_dir


@click.command("simulator")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8100, show_default=True)
@click.option("--token", envvar="EINVOICE_TVAN_TOKEN", default="dev-tvan-token", show_default=True)
@click.option("--answer-delay", type=float, default=2.0, show_default=True, help="seconds before 202/204/301")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), help="default: the service's")
def simulator_command(host: str, port: int, token: str, answer_delay: float, data_dir: Path | None) -> None:
    """Run a local T-VAN with the tax authority behind it (development, demos, tests; never production)."""
    from werkzeug.serving import run_simple

    from einvoice.gateway.simulator import SimulatedAuthority, authority_signer, create_simulator, judge_as_authority

    folder = data_dir or resolve_data_dir()
    authority = SimulatedAuthority(
        authority_signer(folder), judge_as_authority, answer_delay=answer_delay, clock=lambda: datetime.now(UTC)
    )
    click.echo(f"authority simulator on http://{host}:{port}/ (token {token!r}); faults: POST /_simulator/faults")
    run_simple(host, port, create_simulator(authority, token=token), threaded=True)


COMMANDS: list[click.Command] = [simulator_command]

"""Commands of the road to the tax authority: the local simulator of a T-VAN and the authority."""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import click
from flask import Flask

from einvoice.commands.storage import URL_HELP, resolve_data_dir, resolve_url


@click.command("simulator")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8100, show_default=True)
@click.option("--token", envvar="EINVOICE_TVAN_TOKEN", default="dev-tvan-token", show_default=True)
@click.option("--answer-delay", type=float, default=2.0, show_default=True, help="seconds before 202/204/301")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), help="default: the service's")
@click.option("--trust", is_flag=True, help="code every invoice unjudged (benchmarks of the sending side only)")
def simulator_command(
    host: str, port: int, token: str, answer_delay: float, data_dir: Path | None, trust: bool
) -> None:
    """Run a local T-VAN with the tax authority behind it (development, demos, tests; never production)."""
    from einvoice.gateway.simulator import (
        SimulatedAuthority,
        authority_signer,
        create_simulator,
        judge_as_authority,
        trust_all,
    )

    folder = data_dir or resolve_data_dir()
    judge = trust_all if trust else judge_as_authority
    authority = SimulatedAuthority(
        authority_signer(folder), judge, answer_delay=answer_delay, clock=lambda: datetime.now(UTC)
    )
    click.echo(f"authority simulator on http://{host}:{port}/ (token {token!r}); faults: POST /_simulator/faults")
    _serve(create_simulator(authority, token=token), f"{host}:{port}")


def _serve(app: Flask, bind: str) -> None:
    """Serve ``app`` with gunicorn: one process (the simulator's memory lives in it), threads, kept-alive connections.

    Werkzeug's development server closes every connection, so each call paid a TCP handshake on both sides; a T-VAN
    keeps connections open, and so does this.
    """
    from gunicorn.app.base import BaseApplication

    from einvoice.web.gunicorn_conf import post_fork

    options = {
        "bind": bind,
        "workers": 1,
        "worker_class": "gthread",
        "threads": 8,
        "keepalive": 30,
        "timeout": 0,
        "loglevel": "warning",
        "post_fork": post_fork,
    }

    class Served(BaseApplication):  # type: ignore[misc]  # gunicorn ships no type information
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Flask:
            return app

    Served().run()


COMMANDS: list[click.Command] = [simulator_command]


@click.command("worker")
@click.option("--database-url", envvar="EINVOICE_DATABASE_URL", help=URL_HELP)
@click.option("--tvan-url", envvar="EINVOICE_TVAN_URL", required=True, help="the T-VAN's API base URL")
@click.option("--tvan-token", envvar="EINVOICE_TVAN_TOKEN", required=True, help="its bearer token")
@click.option("--tvan-code", envvar="EINVOICE_TVAN_CODE", default="0100000001", show_default=True, help="MNNhan")
@click.option("--idle-sleep", type=float, default=0.5, show_default=True, help="seconds to wait when nothing is due")
@click.option("--poll-interval", type=float, default=2.0, show_default=True, help="seconds between status questions")
@click.option("--lease", type=click.FloatRange(4, 3600), default=60.0, show_default=True, help="seconds a claim lasts")
@click.option("--table-at", default="20:00", show_default=True, help="when each day's receipts table is packed (HH:MM)")
@click.option("--batch-size", type=click.IntRange(1, 500), default=50, show_default=True, help="messages per commit")
@click.option(
    "--concurrency", type=click.IntRange(1, 32), default=4, show_default=True, help="calls to the T-VAN at once"
)
@click.option("--once", is_flag=True, help="handle what is due now, then exit")
def worker_command(
    database_url: str | None,
    tvan_url: str,
    tvan_token: str,
    tvan_code: str,
    idle_sleep: float,
    poll_interval: float,
    lease: float,
    table_at: str,
    batch_size: int,
    concurrency: int,
    once: bool,
) -> None:
    """Send queued documents to the tax authority through the T-VAN and apply its answers (several may run)."""
    from einvoice.gateway.http import HttpGateway, HttpSettings
    from einvoice.services.outbox import Addressing
    from einvoice.services.toolchain import pkcs12_toolchain
    from einvoice.services.transmission import Worker, WorkerSettings
    from einvoice.storage.engine import make_engine

    try:
        packed_at = time.fromisoformat(table_at)
    except ValueError as error:
        raise click.BadParameter("HH:MM, e.g. 20:00", param_hint="--table-at") from error
    engine = make_engine(resolve_url(database_url))
    # A call starts only while half the lease is left: every call must end well within that.
    gateway = HttpGateway(HttpSettings(tvan_url, tvan_token, timeout_seconds=min(10.0, lease / 4)))
    settings = WorkerSettings(
        Addressing(tvan_code),
        lease=timedelta(seconds=lease),
        table_at=packed_at,
        poll_interval=timedelta(seconds=poll_interval),
        batch_size=batch_size,
        concurrency=concurrency,
    )
    worker = Worker(engine, gateway, settings, lambda: datetime.now(UTC), sign=pkcs12_toolchain().sign)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"worker {worker.name} sending to {tvan_url}")
    try:
        while not stop.is_set():
            if not worker.run_once():
                if once:
                    break
                worker.when_idle()  # finance facts of the documents issued meanwhile, read before anyone asks
                stop.wait(idle_sleep)
    finally:
        worker.close()
        gateway.close()
        engine.dispose()


COMMANDS.append(worker_command)

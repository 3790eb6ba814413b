"""gunicorn settings of the service (``gunicorn -c python:einvoice.web.gunicorn_conf wsgi:app``).

Workers die with their master. gunicorn's workers notice a dead master only when they next wake up (up to the worker
timeout), and until then they keep the listening socket: after a SIGKILL of the master, a restart failed for ~60 s
with "Connection in use". Each worker therefore asks Linux to send it SIGTERM when its parent dies
(``PR_SET_PDEATHSIG``); SIGTERM is gunicorn's graceful stop, so a request being served (an issuing transaction) still
finishes within the graceful timeout before the worker exits and the port is free.

Everything else comes from the command line of ``scripts/serve.sh`` or of the process manager (see README, "Running
in production").
"""

from __future__ import annotations

from typing import Any

from einvoice.processes import die_with_parent

graceful_timeout = 20
#: gunicorn's own answers (414, 431, 400) get the app's security headers too; see einvoice.web.server.
worker_class = "einvoice.web.server.HardenedWorker"


def post_fork(server: Any, worker: Any) -> None:
    """In the new worker: exit (gracefully) as soon as the master is gone."""
    die_with_parent(server.pid)

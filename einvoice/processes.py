"""How the service's processes end: a worker, or a helper process a worker starts, dies with its parent.

Linux lets a process ask for a signal when its parent dies (``PR_SET_PDEATHSIG``). gunicorn's workers ask for it
(:mod:`einvoice.web.gunicorn_conf`), so that a killed master frees the port at once; the check helper a worker starts
(:mod:`einvoice.services.check_process`) asks for it too, so that it never outlives the worker it serves. Elsewhere
the call only checks that the parent is still there.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Have the kernel send this process SIGTERM when its parent dies; stop now if it is already gone."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent_pid:  # the parent died between fork and prctl: the signal will never come
        os.kill(os.getpid(), signal.SIGTERM)

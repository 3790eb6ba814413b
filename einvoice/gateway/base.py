"""What the outbox worker needs of a transmission provider (T-VAN), whatever its API.

Exception tree (httpx style)::

    GatewayError                  the provider could not be asked or answered nonsense
    ├── GatewayUnavailable        down, timed out, HTTP 5xx: retry later, and ask the status before any resend
    └── GatewayRefused            the provider refused the request itself (auth, malformed): park, a person must look

A refusal of the *content* by the authority is not an exception: it comes back as an answer (999 with ``TTTNhan`` 1,
204, a 301 refusing an item) and changes the document's state.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol


class GatewayError(Exception):
    """The transmission provider could not be asked, or answered something we cannot read."""


class GatewayUnavailable(GatewayError):
    """Down, timed out or HTTP 5xx: the message may or may not have arrived; ask its status before resending."""


class GatewayRefused(GatewayError):
    """The provider refused the request itself (credentials, format of the call): retrying will not help."""


class Submitted(enum.Enum):
    """What the provider said of a message handed to it."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"  # it has this MTDiep already: the earlier attempt arrived


@dataclass(frozen=True)
class Status:
    """What the provider knows of a message: whether it has it, and the authority's answers so far (raw ``TDiep``)."""

    known: bool
    answers: tuple[bytes, ...] = ()


class Gateway(Protocol):
    """A transmission provider: send a ``TDiep``, ask what became of one.

    A worker calls it from several threads at once (:attr:`~einvoice.services.transmission.WorkerSettings.concurrency`),
    so an adapter must be thread-safe (an ``httpx.Client`` is), and every call must end well within half the worker's
    lease (explicit timeouts).
    """

    def send(self, message_id: str, message: bytes) -> Submitted:
        """Hand ``message`` (whose ``MTDiep`` is ``message_id``) to the provider."""
        ...

    def status(self, message_id: str) -> Status:
        """Return whether the provider has ``message_id`` and every answer of the authority to it so far."""
        ...

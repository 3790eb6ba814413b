"""A T-VAN reached over HTTP in the style the 2026 spec documents (§4, "VISNAM-style"), and what its replies look like.

Submit: ``POST <base>/TiepNhanThongDiep`` with the ``TDiep`` as ``application/xml`` and ``Authorization: Bearer``;
the reply is ``<KetQuaTiepNhan><MaKetQua>…</MaKetQua><MoTaKetQua>…</MoTaKetQua></KetQuaTiepNhan>`` where ``MaKetQua``
is the provider's own status (kept apart from the authority's): 0 taken, 2 this ``MTDiep`` exists already, anything
else refused. Status: ``POST <base>/TraCuuThongDiep`` with ``<MTDiep>…</MTDiep>``; the reply is
``<KetQuaTraCuu><MaGD>…</MaGD><MaKetQua>0|2</MaKetQua><MoTaKetQua/><DuLieu><TDiep>…</TDiep>…</DuLieu></KetQuaTraCuu>``
(2: not found). Every call has explicit timeouts; 5xx, timeouts and connection errors are
:class:`~einvoice.gateway.base.GatewayUnavailable`.

A real T-VAN will differ in names and details (spec §8, questions for the T-VAN): it gets its own adapter beside this
one, behind the same :class:`~einvoice.gateway.base.Gateway` interface.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
from lxml import etree

from einvoice.domain.errors import UnsafeInputError
from einvoice.gateway.base import GatewayError, GatewayRefused, GatewayUnavailable, Status, Submitted
from einvoice.xmldoc.safe import parse_untrusted

SUBMIT_PATH = "TiepNhanThongDiep"
STATUS_PATH = "TraCuuThongDiep"
TAKEN, NOT_FOUND, EXISTS = "0", "2", "2"
CONNECT_TIMEOUT_SECONDS = 3.0
_TDIEP = re.compile(rb"<TDiep[\s>].*?</TDiep\s*>", re.DOTALL)


@dataclass(frozen=True)
class HttpSettings:
    """Where the T-VAN is and how to authenticate (settings ``EINVOICE_TVAN_URL`` and ``EINVOICE_TVAN_TOKEN``)."""

    base_url: str
    token: str
    timeout_seconds: float = 10.0


class HttpGateway:
    """The :class:`~einvoice.gateway.base.Gateway` of a T-VAN with the documented XML-over-HTTP API."""

    def __init__(self, settings: HttpSettings, *, transport: httpx.BaseTransport | None = None) -> None:
        # Requests go straight to the transport (a pool of kept-alive connections, thread-safe): the client's cookie
        # jar, redirects and URL merging cost more CPU per call than the rest of the worker's part of a message, and
        # a T-VAN's API uses none of them (a redirect is refused like any non-200 answer).
        self._transport = transport or httpx.HTTPTransport()
        base = settings.base_url.rstrip("/") + "/"
        self._urls = {path: httpx.URL(base + path) for path in (SUBMIT_PATH, STATUS_PATH)}
        self._headers = {"Authorization": f"Bearer {settings.token}", "Content-Type": "application/xml"}
        timeout = httpx.Timeout(
            settings.timeout_seconds, connect=min(CONNECT_TIMEOUT_SECONDS, settings.timeout_seconds)
        )
        self._extensions = {"timeout": timeout.as_dict()}

    def close(self) -> None:
        """Close the connection pool."""
        self._transport.close()

    def send(self, message_id: str, message: bytes) -> Submitted:
        """Submit one ``TDiep``."""
        reply = _read(self._post(SUBMIT_PATH, message).content, "KetQuaTiepNhan")
        code = _text(reply, "MaKetQua")
        if code == TAKEN:
            return Submitted.ACCEPTED
        if code == EXISTS:
            return Submitted.DUPLICATE
        raise GatewayRefused(f"the T-VAN refused message {message_id}: {code} {_text(reply, 'MoTaKetQua')}")

    def status(self, message_id: str) -> Status:
        """Ask for a message and the authority's answers to it."""
        body = b"<MTDiep>" + message_id.encode("ascii") + b"</MTDiep>"
        data = self._post(STATUS_PATH, body).content
        # The answers are kept as the exact bytes the T-VAN sent (a 202 becomes our document of record) and each is
        # parsed once, by the worker (einvoice.xmldoc.envelope.read_message): the reply is read here without them.
        start, end = data.find(b"<DuLieu>"), data.rfind(b"</DuLieu>")
        carried = 0 <= start < end
        reply = _read(data[: start + len(b"<DuLieu>")] + data[end:] if carried else data, "KetQuaTraCuu")
        code = _text(reply, "MaKetQua")
        if code == NOT_FOUND:
            return Status(known=False)
        if code != TAKEN:
            raise GatewayError(f"unexpected status code {code!r} for {message_id}")
        answers = tuple(match.group(0) for match in _TDIEP.finditer(data, start, end)) if carried else ()
        return Status(known=True, answers=answers)

    def _post(self, path: str, body: bytes) -> httpx.Response:
        request = httpx.Request("POST", self._urls[path], headers=self._headers, content=body)
        request.extensions = self._extensions
        try:
            response = self._transport.handle_request(request)
            try:
                response.read()
            finally:
                response.close()
        except httpx.HTTPError as error:  # timeouts, refused connections, protocol errors
            raise GatewayUnavailable(f"the T-VAN cannot be reached: {error!r}") from error
        if response.status_code >= 500:
            raise GatewayUnavailable(f"the T-VAN answered HTTP {response.status_code}")
        if response.status_code != 200:
            raise GatewayRefused(f"the T-VAN answered HTTP {response.status_code}: {response.text[:200]}")
        return response


def _read(content: bytes, tag: str) -> etree._Element:
    try:
        root = parse_untrusted(content)
    except UnsafeInputError as error:
        raise GatewayError(f"the T-VAN's reply is not XML: {error}") from error
    if root.tag != tag:
        raise GatewayError(f"the T-VAN replied <{root.tag}>, expected <{tag}>")
    return root


def _text(parent: etree._Element, tag: str) -> str:
    found = parent.find(tag)
    return (found.text or "").strip() if found is not None else ""

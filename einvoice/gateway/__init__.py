"""The road to the tax authority: one adapter interface, an HTTP adapter for a T-VAN, and a local simulator.

There is no common T-VAN API (2026 spec §4): :class:`~einvoice.gateway.base.Gateway` is what the outbox worker needs
of any of them (send a message, ask the status of a message); :mod:`einvoice.gateway.http` speaks the style the spec
documents (XML POST with a bearer token, and a status query returning the authority's answers); and
:mod:`einvoice.gateway.simulator` behaves like a T-VAN and the authority behind it, for development, demos and tests.
"""

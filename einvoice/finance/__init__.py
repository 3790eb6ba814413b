"""Finance: reconciliation summaries, exports, bank statement matching (issue 12). Pure logic; queries live in
:mod:`einvoice.services.ledger` and :mod:`einvoice.services.finance`."""

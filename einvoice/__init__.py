"""einvoice: Vietnamese e-invoices and e-receipts in the national XML format (2.1.0)."""

__version__ = "0.1.0"

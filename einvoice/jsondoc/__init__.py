"""The JSON vocabulary of documents (marshmallow), the sibling of :mod:`einvoice.xmldoc`; no Flask, no storage.

One set of schemas serves the command line, the API, drafts and the golden files:

- :mod:`~einvoice.jsondoc.fields`: field types (text XML can carry, amount, quantity, VAT rate, currency, ids);
- :mod:`~einvoice.jsondoc.parties`: the issuer, the buyer and the payer;
- :mod:`~einvoice.jsondoc.lines`: the table of line natures, invoice lines, fee lines, catalogue fees, related
  documents;
- :mod:`~einvoice.jsondoc.requests`: the API's issue requests (a series, a party, lines);
- :mod:`~einvoice.jsondoc.documents`: whole documents (``einvoice build``, golden files);
- :mod:`~einvoice.jsondoc.figures`: checks on the computed figures, at the caller's field paths;
- :mod:`~einvoice.jsondoc.problems`: schema errors as problems (field path, UPPER_SNAKE code, Vietnamese, English).
"""

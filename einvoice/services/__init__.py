"""Use cases: issuing, configuration, queries, audit. Plain functions over an SQLAlchemy engine; no Flask here."""

"""Storage: the tables (SQLAlchemy Core), the engine with its SQLite/PostgreSQL settings, and the migrations."""

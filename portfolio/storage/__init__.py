"""Storage: engines and sessions for SQLite and PostgreSQL, the change log, migrations.

``open_database(url)`` is the one way in: it builds the engine, creates an empty
database at the current schema, refuses one that is behind, and returns the engine.
``session_scope`` owns a unit of work for a door (CLI command, web request, job).
"""

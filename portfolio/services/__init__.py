"""Use cases: the things portfolio does, each a function taking a session.

One module per area (``portfolio_io`` for export and restore, ``clock`` for the
Stichtag, ``obligations``, ``reminders``, ``import_apply`` …). Services never commit:
the door that opened the session owns the transaction.
"""

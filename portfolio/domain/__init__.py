"""The centre of portfolio: entities, value types, deadline rules and errors.

Nothing in here opens a database, reads a setting or does I/O beyond reading the
data files shipped inside the package (regimes). The doors and services pass plain
values in; a layering test (tests/test_layering.py) keeps it so.
"""

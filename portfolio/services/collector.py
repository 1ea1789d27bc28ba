"""Python's cyclic garbage collector paused while big acyclic data is built.

A big import allocates hundreds of thousands of objects (rows, bookings, their
tuples) that all live until it ends and form no reference cycles; the collector
would walk them again and again as they pile up (a tenth to a third of reading
and planning a list of 100 000 lines). ``collector_paused`` switches the
automatic collection off inside and back on as it was; nothing is leaked,
cycles made meanwhile are collected later as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside (restored as it was afterwards)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

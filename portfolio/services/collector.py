"""Python's cyclic garbage collector paused while big acyclic data is built.

A big import allocates hundreds of thousands of objects (rows, bookings, their
tuples) that all live until it ends and form no reference cycles; the collector
would walk them again and again as they pile up (a tenth to a third of reading
and planning a list of 100 000 lines). ``collector_paused`` switches the
automatic collection off inside and back on as it was; nothing is leaked,
cycles made meanwhile are collected later as usual. A command that ends its
process may switch the collector off for good (``collector_off_for_the_process``).
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


def collector_off_for_the_process() -> None:
    """Switch the cyclic collector off for the rest of a process that ends soon.

    For a command run as a process of its own (``portfolio import`` at the
    prompt): after planning, a big import holds about a million objects, and the
    first collection after ``collector_paused`` would walk all of them (a third
    of a second of a 100 000-row import) only for the process to end. They are
    freed by reference counting as ever; the few cycles go with the process.
    Never for a door that stays (the web server, the scheduler).
    """
    gc.disable()

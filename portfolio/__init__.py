"""portfolio: a grant and programme portfolio tracker for public education offices.

The package holds the domain (``portfolio.domain``), storage, use cases and the
doors (CLI, web). Importing it imports nothing else, so the version can be read
without loading SQLAlchemy or the web stack.
"""

__version__ = "0.1.0"

"""The page and API routers of the web UI, one module per area."""

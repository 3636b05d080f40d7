"""A reference issuer: a real HTTP server implementing ``reviewer_app/sync/openapi.yaml``
with its own SQLite database, for the demo and the tests (``reviewer-app issuer-serve``).
It can inject faults on request (``faults.py``)."""

"""Exports: reviews and decisions as CSV or JSON (later: batches, letters)."""

"""Append-only, hash-chained audit trail written by the services."""

"""Shared building blocks: service errors, the clock edge, small helpers."""

"""Benchmark data at realistic scale: `eapcase bench generate`."""

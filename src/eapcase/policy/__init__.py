"""The policy engine: pure Python, no Django."""

"""The JSON API (/api/v1/) for integrations: cases, participants, events, obligations."""

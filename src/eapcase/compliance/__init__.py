"""The case history (CaseEvent), the obligations and findings the engine derives, escalations."""

"""The operator (WPO), Partners and their calendars, providers, client organisations."""

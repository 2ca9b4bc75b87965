"""Reminders before deadlines, automatic escalations, in-app notifications and the worker."""

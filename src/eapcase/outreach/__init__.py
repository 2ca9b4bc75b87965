"""Call backs, outreach requests, contact attempts and emails."""

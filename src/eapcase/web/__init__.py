"""Pages: login, home, base layout."""

"""`eapcase demo` and other commands of the web app."""

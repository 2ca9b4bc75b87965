"""Inbound email: SMTP server, IMAP polling and .eml import; parsing and linking to cases."""

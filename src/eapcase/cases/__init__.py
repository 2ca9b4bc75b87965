"""Participants and cases: sessions, reviews and the benefit ledger, notes, queries, closure."""

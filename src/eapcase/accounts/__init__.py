"""Users, their memberships and roles, and the one access predicate for cases."""

"""The auth service: accounts, JWT sessions, login history, roles and permission checks."""

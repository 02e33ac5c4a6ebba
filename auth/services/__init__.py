"""Use cases of the auth service; the routes only translate HTTP to these calls."""

"""HTTP routes of the auth service, one blueprint per resource, all under ``/auth``."""

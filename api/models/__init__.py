"""Typed shapes: what the repositories return, what the API answers, what requests may ask."""

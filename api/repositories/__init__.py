"""Repositories: one interface per resource, Elasticsearch behind it, the Redis cache around it."""

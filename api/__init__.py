"""The content API: films, genres and people from Elasticsearch, cached in Redis.

Request -> validated params (`models.query`) -> service (`services/`) -> repository behind the
cache (`repositories/`) -> response model (`models/`). `create_app` in `app.py` wires it up.
"""

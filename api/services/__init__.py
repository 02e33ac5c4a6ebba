"""Use cases: what each endpoint asks of the repositories, and what counts as not found."""

"""One error type per failure kind; `app.py` maps them to JSON responses in one place."""

from __future__ import annotations


class ApiError(Exception):
    """A failure the client is told about: an HTTP status and a machine-readable code."""

    status = 500
    code = "internal_error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def payload(self) -> dict[str, str]:
        return {"error": self.code, "detail": self.detail}


class NotFound(ApiError):
    """The id is well-formed but nothing has it."""

    status = 404
    code = "not_found"


class InvalidParameter(ApiError):
    """A query or path parameter failed validation; `parameter` names it."""

    status = 422
    code = "invalid_parameter"

    def __init__(self, parameter: str, detail: str) -> None:
        super().__init__(f"{parameter}: {detail}")
        self.parameter = parameter

    def payload(self) -> dict[str, str]:
        return {**super().payload(), "parameter": self.parameter}


class DependencyUnavailable(ApiError):
    """Elasticsearch cannot answer and the cache had nothing: the client may retry later."""

    status = 503
    code = "dependency_unavailable"

    def __init__(self, dependency: str, detail: str) -> None:
        super().__init__(f"{dependency}: {detail}")
        self.dependency = dependency

    def payload(self) -> dict[str, str]:
        return {**super().payload(), "dependency": self.dependency}

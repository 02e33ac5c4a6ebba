"""One error type per failure kind of the content API, on the shared contract of `http_errors`
(which turns them into JSON in one place, installed by `app.py`)."""

from __future__ import annotations

from http_errors import HttpError


class NotFound(HttpError):
    """The id is well-formed but nothing has it."""

    status_code = 404
    code = "not_found"


class InvalidParameter(HttpError):
    """A query or path parameter failed validation; `parameter` names it."""

    status_code = 422
    code = "invalid_parameter"

    def __init__(self, parameter: str, detail: str) -> None:
        super().__init__(f"{parameter}: {detail}", parameter=parameter)
        self.parameter = parameter


class DependencyUnavailable(HttpError):
    """Elasticsearch cannot answer and the cache had nothing: the client may retry later."""

    status_code = 503
    code = "dependency_unavailable"

    def __init__(self, dependency: str, detail: str) -> None:
        super().__init__(f"{dependency}: {detail}", dependency=dependency)
        self.dependency = dependency

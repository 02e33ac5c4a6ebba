"""The API's error types in the shared contract: `{code, detail}` plus the kind's own field, and
Sanic's own errors in the same shape without their server-side messages."""

from __future__ import annotations

from sanic.exceptions import MethodNotAllowed, NotFound, PayloadTooLarge, ServerError

from api.errors import DependencyUnavailable, InvalidParameter
from api.errors import NotFound as UnknownId
from http_errors import ErrorBody, error_body, error_response


def test_each_kind_has_its_status_code_and_fields():
    invalid = InvalidParameter("page_size", "must be at most 100")
    down = DependencyUnavailable("elasticsearch", "the search backend is unavailable")

    assert (invalid.status_code, error_body(invalid)) == (
        422,
        {"code": "invalid_parameter", "detail": "page_size: must be at most 100", "parameter": "page_size"},
    )
    assert (down.status_code, error_body(down)) == (
        503,
        {
            "code": "dependency_unavailable",
            "detail": "elasticsearch: the search backend is unavailable",
            "dependency": "elasticsearch",
        },
    )
    assert error_body(UnknownId("film 1 not found")) == {"code": "not_found", "detail": "film 1 not found"}
    for error in (invalid, down):
        ErrorBody.model_validate(error_body(error))


def test_sanic_errors_get_codes_and_keep_their_headers():
    assert error_body(NotFound("Requested URL /x not found"))["code"] == "not_found"
    assert error_body(PayloadTooLarge("Request header exceeds the size limit")) == {
        "code": "request_too_large",
        "detail": "Request header exceeds the size limit",
    }
    wrong_method = MethodNotAllowed("Method POST not allowed", method="POST", allowed_methods=["GET"])
    response = error_response(wrong_method)
    assert response.status == 405
    assert response.headers["Allow"] == "GET"
    assert error_body(wrong_method)["code"] == "method_not_allowed"


def test_a_server_error_of_sanic_does_not_tell_its_message():
    assert error_body(ServerError("connection pool of worker 3 is exhausted")) == {
        "code": "internal_error",
        "detail": "internal error",
    }

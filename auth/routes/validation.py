"""Request validation through sanic-ext with pydantic models, failing as 422 with the fields named."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sanic import Request
from sanic_ext import openapi, validate

from auth.errors import InvalidRequest
from auth.routes.documentation import carry_documentation
from auth.routes.openapi_schemas import errors
from openapi30 import field_schema, json_content

Model = TypeVar("Model", bound=BaseModel)
Handler = TypeVar("Handler", bound=Callable[..., Any])


def unstorable(data: Any) -> str | None:
    """Where in ``data`` a string holds a NUL character (Postgres text cannot) or an unpaired
    surrogate (UTF-8 cannot): such input is the client's mistake, not a 500 from the database.

    Walked with a stack of its own, not by recursion: JSON nested a thousand deep is valid input
    to the parser and must not exhaust Python's recursion limit here.
    """
    pending: list[tuple[str, Any]] = [("", data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value or (not value.isascii() and _has_surrogate(value)):
                return path
            continue
        items = (
            value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        )
        pending.extend((f"{path}.{key}" if path else str(key), item) for key, item in reversed(list(items)))
    return None


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def parse(model: type[Model], data: Any) -> Model:
    field = unstorable(data)
    if field is not None:
        problem = "a NUL character or an unpaired surrogate"
        raise InvalidRequest([{"field": field or "body", "message": problem}])
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise InvalidRequest(
            [
                {"field": ".".join(str(part) for part in problem["loc"]) or "body", "message": problem["msg"]}
                for problem in error.errors()
            ]
        ) from None


def json_body(model: type[BaseModel], required: bool = True) -> Callable[[Handler], Handler]:
    """Validate the JSON body into ``model`` (passed to the handler as ``body``) and document it."""

    def check(request: Request, data: Any, handler_kwargs: dict[str, Any]) -> None:
        if data is None and not required:
            data = {}
        handler_kwargs["body"] = parse(model, data)

    def decorate(handler: Handler) -> Handler:
        # The model's own JSON schema: sanic-ext's reading of a pydantic class would also list
        # ``model_config`` as a field.
        documented = openapi.body(json_content(model), required=required)(handler)
        documented = errors(400, 422, 503)(documented)
        # sanic-ext calls a non-class validator as check(request=, data=, handler_kwargs=);
        # its annotation only knows the older one-argument form.
        validated = validate(json=check)(documented)  # type: ignore[arg-type]
        carry_documentation(documented, validated)
        return validated

    return decorate


def query_params(model: type[BaseModel]) -> Callable[[Handler], Handler]:
    """Validate the query string into ``model`` (passed as ``query``).

    ``page[number]``/``page[size]`` are accepted too, as the content API accepts them.
    """

    def check(request: Request, data: Any, handler_kwargs: dict[str, Any]) -> None:
        values = {name: request.args.get(name) for name in request.args}
        for alias, name in (("page[number]", "page_number"), ("page[size]", "page_size")):
            if alias in values:
                values.setdefault(name, values.pop(alias))
        handler_kwargs["query"] = parse(model, values)

    def decorate(handler: Handler) -> Handler:
        for name, field in model.model_fields.items():
            schema = field_schema(model, name)
            handler = openapi.parameter(name, schema, "query", description=field.description or "")(handler)
        handler = errors(422)(handler)
        validated = validate(query=check)(handler)  # type: ignore[arg-type]
        carry_documentation(handler, validated)
        return validated

    return decorate

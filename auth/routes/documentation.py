"""Keeping sanic-ext's OpenAPI notes attached when a decorator wraps a handler.

sanic-ext stores what ``openapi.*`` decorators say per function object, and reads it back for the
function the route finally calls; a wrapper must take the notes of the function it wraps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sanic_ext.extensions.openapi.builders import OperationStore


def carry_documentation(inner: Callable[..., Any], outer: Callable[..., Any]) -> None:
    store = OperationStore()  # type: ignore[no-untyped-call]  # sanic-ext leaves its __init__ unannotated
    if inner in store:
        store[outer] = store.pop(inner)

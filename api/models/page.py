"""A page of a longer result: the items, the total the `X-Total-Count` header reports, and
where the next page starts when there is one."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel

Item = TypeVar("Item")


class Page(BaseModel, Generic[Item]):
    items: list[Item]
    total: int
    # The sort values of the last item, when more follow (the next page's cursor holds them).
    after: list[Any] | None = None

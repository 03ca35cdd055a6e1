"""Limit/marker paging and the ``*_links`` "next" links Nova puts next to a full page."""

from collections.abc import Callable, Sequence
from typing import TypeVar
from urllib.parse import urlencode

import falcon

from cirrus import exception
from cirrus.api.common import base_url
from cirrus.api.schemas.query import last, params_of

T = TypeVar("T")


def _limit(req: falcon.Request) -> str | None:
    # A repeated parameter counts by its last value, as webob's MultiDict gives it.
    return last(params_of(req), "limit")


def page_size(req: falcon.Request, max_limit: int) -> int:
    """``min(limit, [api] max_limit)``; the query schema has already checked ``limit``.

    Raises:
        Invalid: ``limit`` is not a non-negative integer.
    """
    raw = _limit(req)
    if raw is None:
        return max_limit
    if not raw.isdigit():
        raise exception.Invalid("limit param must be an integer")
    return min(int(raw), max_limit)


def paginate(items: Sequence[T], key: Callable[[T], str], marker: str | None, limit: int,
             missing: str) -> list[T]:
    """The page after ``marker`` (exclusive) of at most ``limit`` items.

    Raises:
        Invalid: ``marker`` names no item; the message is ``missing``.
    """
    start = 0
    if marker is not None:
        for index, item in enumerate(items):
            if key(item) == marker:
                start = index + 1
                break
        else:
            raise exception.Invalid(missing)
    return list(items[start:start + limit])


def next_links(req: falcon.Request, count: int, last_id: str | None, collection: str,
               max_limit: int) -> list[dict[str, str]]:
    """``[{"rel": "next", "href": ...}]`` when the page is full, else ``[]``.

    A page is full when it holds ``min(limit or max_limit, max_limit)`` items, so a
    listing of exactly ``max_limit`` items gets a link even without ``limit``.
    """
    raw = _limit(req)
    wanted = min(int(raw), max_limit) if raw is not None and raw.isdigit() else max_limit
    if not wanted or wanted != count or last_id is None:
        return []
    # NOTE: the request's parameters are kept, sorted; an existing marker is replaced in
    # place and a new one goes last, as Nova builds the link.
    params: dict[str, object] = {}
    for name in sorted(req.params):
        params[name] = req.params[name]
    params["marker"] = last_id
    query = urlencode(params, doseq=True)
    return [{"rel": "next", "href": f"{base_url(req)}/v2.1/{collection}?{query}"}]

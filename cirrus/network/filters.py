"""Neutron's list query strings: filters by attribute, ``fields``, sorting and paging."""

import dataclasses
from collections.abc import Mapping

from cirrus import exception

Params = Mapping[str, str | list[str]]
PAGING_PARAMS = frozenset({"limit", "marker", "sort_key", "sort_dir", "page_reverse", "fields"})


@dataclasses.dataclass(frozen=True)
class ListQuery:
    """A parsed list query."""

    filters: Mapping[str, tuple[str, ...]]
    """Attribute filters; several values of one attribute match any of them."""
    fields: tuple[str, ...] = ()
    """Attributes to return; all of them when empty."""
    limit: int | None = None
    marker: str | None = None
    sort: tuple[tuple[str, str], ...] = ()


def values(params: Params, key: str) -> list[str]:
    """Every value given for ``key`` (a parameter may repeat)."""
    value = params.get(key)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def to_bool(key: str, text: str) -> bool:
    """Neutron's boolean query values: true/false in any case, or 1/0.

    Raises:
        Invalid: anything else.
    """
    lowered = text.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise exception.Invalid(
        f"Invalid input for {key}. Reason: '{text}' is not a valid boolean value."
    )


def _limit(params: Params) -> int | None:
    given = values(params, "limit")
    if not given:
        return None
    text = given[-1]
    if not (text.isascii() and text.isdigit()):
        raise exception.Invalid(f"Limit must be an integer 0 or greater and not '{text}'")
    return int(text)


def parse(params: Params, allowed: frozenset[str], sort_keys: frozenset[str]) -> ListQuery:
    """Parse a list query against the attributes the resource can be filtered by.

    Raises:
        Invalid: an unknown filter, sort key or direction, or a bad limit.
    """
    filters: dict[str, tuple[str, ...]] = {}
    for key in params:
        if key in PAGING_PARAMS:
            continue
        if key not in allowed:
            raise exception.Invalid(f"[{key}] is invalid attribute for filtering")
        filters[key] = tuple(values(params, key))
    keys, dirs = values(params, "sort_key"), values(params, "sort_dir")
    if dirs and len(dirs) != len(keys):
        raise exception.Invalid("The number of sort_keys and sort_dirs must be same")
    for key in keys:
        if key not in sort_keys:
            raise exception.Invalid(f"{key} is an invalid attribute for sort_keys")
    for direction in dirs:
        if direction not in ("asc", "desc"):
            raise exception.Invalid(f"{direction} is an invalid value for sort_dirs")
    markers = values(params, "marker")
    return ListQuery(
        filters=filters,
        fields=tuple(f for v in values(params, "fields") for f in v.split(",") if f),
        limit=_limit(params) or None,
        marker=markers[-1] if markers else None,
        sort=tuple(zip(keys, dirs or ["asc"] * len(keys), strict=True)),
    )


def select_fields(body: dict[str, object], fields: tuple[str, ...]) -> dict[str, object]:
    """Only the requested attributes of a resource body (all when none are requested)."""
    return {k: v for k, v in body.items() if k in fields} if fields else body

"""Image list queries as Glance reads them: column and property filters, sort, paging."""

import dataclasses
from collections.abc import Mapping

from cirrus import exception
from cirrus.db.services import models
from cirrus.image import schemas

DEFAULT_LIMIT = 25
MAX_LIMIT = 1000
_INT64_MAX = 2**63 - 1  # larger query values could not be bound to an SQL parameter

SORT_KEYS = {
    "name": models.Image.name,
    "status": models.Image.status,
    "container_format": models.Image.container_format,
    "disk_format": models.Image.disk_format,
    "size": models.Image.size,
    "virtual_size": models.Image.virtual_size,
    "id": models.Image.id,
    "created_at": models.Image.created_at,
    "updated_at": models.Image.updated_at,
    "visibility": models.Image.visibility,
    "owner": models.Image.owner,
    "min_disk": models.Image.min_disk,
    "min_ram": models.Image.min_ram,
}
IN_FILTERS = {
    "id": models.Image.id,
    "name": models.Image.name,
    "status": models.Image.status,
    "owner": models.Image.owner,
    "disk_format": models.Image.disk_format,
    "container_format": models.Image.container_format,
}
_PAGING_PARAMS = frozenset({"limit", "marker", "sort", "sort_key", "sort_dir"})
_OTHER_PARAMS = frozenset({
    "visibility", "tag", "os_hidden", "protected", "size_min", "size_max", "member_status",
})
_UNSUPPORTED_PARAMS = frozenset({"created_at", "updated_at"})


@dataclasses.dataclass(frozen=True)
class ListQuery:
    """A parsed ``GET /v2/images`` query."""

    columns: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    """Column filters; several values match any of them (Glance's ``in:`` operator)."""
    visibility: str | None = None
    tags: tuple[str, ...] = ()
    """Every tag must be on the image."""
    properties: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Extra properties that must have exactly these values."""
    os_hidden: bool = False
    protected: bool | None = None
    size_min: int | None = None
    size_max: int | None = None
    limit: int = DEFAULT_LIMIT
    marker: str | None = None
    sort: tuple[tuple[str, str], ...] = (("created_at", "desc"),)


def _values(params: Mapping[str, str | list[str]], key: str) -> list[str]:
    value = params.get(key)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _one(params: Mapping[str, str | list[str]], key: str) -> str | None:
    values = _values(params, key)
    return values[-1] if values else None


def _bool(key: str, text: str | None) -> bool | None:
    if text is None:
        return None
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    raise exception.Invalid(f"Invalid value '{text}' for '{key}': expected true or false.")


def _int(key: str, text: str | None) -> int | None:
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        raise exception.Invalid(f"{key} param must be an integer") from None
    if value < 0:
        raise exception.Invalid(f"{key} param must be positive")
    return min(value, _INT64_MAX)


def _parse_sort(params: Mapping[str, str | list[str]]) -> tuple[tuple[str, str], ...]:
    sort = _one(params, "sort")
    keys, dirs = _values(params, "sort_key"), _values(params, "sort_dir")
    if sort is not None and (keys or dirs):
        raise exception.Invalid("The 'sort' param can not be used with 'sort_key' or 'sort_dir'.")
    if sort is not None:
        pairs = []
        for item in sort.split(","):
            key, _, direction = item.strip().partition(":")
            pairs.append((key, direction or "desc"))
    else:
        if len(dirs) > 1 and len(dirs) != len(keys):
            raise exception.Invalid("The number of sort_dir values must match sort_key.")
        default = dirs[0] if len(dirs) == 1 else "desc"
        pairs = [(k, dirs[i] if len(dirs) > 1 else default) for i, k in enumerate(keys)]
    for key, direction in pairs:
        if key not in SORT_KEYS:
            raise exception.Invalid(f"Invalid sort key: {key}.")
        if direction not in ("asc", "desc"):
            raise exception.Invalid(f"Invalid sort direction: {direction}.")
    return tuple(pairs) or (("created_at", "desc"),)


def parse(params: Mapping[str, str | list[str]]) -> ListQuery:
    """Parse the query string of an image list the way Glance reads it.

    Unknown parameters filter on extra properties, as in Glance.

    Raises:
        Invalid: a malformed limit, sort, boolean or size, or an unsupported filter.
    """
    columns: dict[str, tuple[str, ...]] = {}
    properties: dict[str, str] = {}
    for key in params:
        if key in _UNSUPPORTED_PARAMS:
            raise exception.Invalid(f"Filtering images by {key} is not supported.")
        if key in IN_FILTERS:
            value = _one(params, key) or ""
            columns[key] = tuple(value[3:].split(",")) if value.startswith("in:") else (value,)
        elif key not in _PAGING_PARAMS and key not in _OTHER_PARAMS:
            properties[key] = _one(params, key) or ""
    visibility = _one(params, "visibility")
    if visibility is not None and visibility not in (*schemas.VISIBILITIES, "all"):
        raise exception.Invalid(f"Invalid visibility value: {visibility}")
    limit = _int("limit", _one(params, "limit"))
    return ListQuery(
        columns=columns,
        visibility=visibility,
        tags=tuple(_values(params, "tag")),
        properties=properties,
        os_hidden=bool(_bool("os_hidden", _one(params, "os_hidden"))),
        protected=_bool("protected", _one(params, "protected")),
        size_min=_int("size_min", _one(params, "size_min")),
        size_max=_int("size_max", _one(params, "size_max")),
        limit=DEFAULT_LIMIT if limit is None else min(limit, MAX_LIMIT),
        marker=_one(params, "marker"),
        sort=_parse_sort(params),
    )

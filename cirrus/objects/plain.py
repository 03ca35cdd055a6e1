"""Frozen dataclasses as plain dicts, for RPC and JSON columns."""

import dataclasses
import functools
from typing import Any


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def as_plain(value: Any) -> Any:
    """``dataclasses.asdict`` for the value objects of this package, at a fraction of its
    cost: dataclasses become dicts, lists, tuples and dicts are copied with their items
    converted, and anything else (strings, numbers, None) is kept as it is instead of
    being deep-copied.
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: as_plain(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, dict):
        return {k: as_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(as_plain(v) for v in value)
    return value

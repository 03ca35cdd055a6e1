"""``dataclasses.asdict`` for the value objects that travel on every boot, without its cost.

``asdict`` deep-copies every leaf through ``copy.deepcopy`` and looks up every class's
fields again; a request spec goes through it several times a boot. ``as_dict`` returns
an equal result: scalars are immutable (their deep copy is themselves), and anything
else (a subclass of a container, an unknown leaf) takes ``asdict``'s own path.
"""

import dataclasses
from typing import Any

_SCALARS = frozenset({str, int, float, bool, type(None)})
_FIELDS: dict[type, tuple[str, ...]] = {}


def _names(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


@dataclasses.dataclass(frozen=True)
class _Holder:
    value: Any


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is list:
        return [_plain(v) for v in value]
    if kind is tuple:
        return tuple(_plain(v) for v in value)
    if kind is dict:
        return {_plain(k): _plain(v) for k, v in value.items()}
    if dataclasses.is_dataclass(kind):
        return {name: _plain(getattr(value, name)) for name in _names(kind)}
    # Anything else (a named tuple, a set, a custom leaf) as asdict itself converts it.
    return dataclasses.asdict(_Holder(value))["value"]


def as_dict(obj: Any) -> dict[str, Any]:
    """What ``dataclasses.asdict(obj)`` returns, for a dataclass instance ``obj``.

    Raises:
        TypeError: ``obj`` is not a dataclass instance.
    """
    if not dataclasses.is_dataclass(type(obj)):
        raise TypeError("as_dict() should be called on dataclass instances")
    out: dict[str, Any] = _plain(obj)
    return out

"""Host weighers: one pure class per module, enabled by name in ``weight_classes``."""

from collections.abc import Iterable, Mapping
from typing import Any

from cirrus.scheduler.weighers.base import BaseWeigher, WeighedHost, normalize, weigh_hosts
from cirrus.scheduler.weighers.cpu import CPUWeigher
from cirrus.scheduler.weighers.cross_cell import CrossCellWeigher
from cirrus.scheduler.weighers.disk import DiskWeigher
from cirrus.scheduler.weighers.ram import RAMWeigher
from cirrus.scheduler.weighers.server_group import (
    ServerGroupSoftAffinityWeigher,
    ServerGroupSoftAntiAffinityWeigher,
)

WEIGHERS: dict[str, type[BaseWeigher]] = {
    cls.__name__: cls for cls in (RAMWeigher, CPUWeigher, DiskWeigher, CrossCellWeigher,
                                  ServerGroupSoftAffinityWeigher,
                                  ServerGroupSoftAntiAffinityWeigher)
}
"""Every weigher ``weight_classes`` may name."""


def load_weighers(names: Iterable[str], conf_values: Mapping[str, Any]) -> list[BaseWeigher]:
    """One instance of each named weigher, in the order given, with its multiplier.

    Args:
        names: weigher class names, as in ``[filter_scheduler] weight_classes``.
        conf_values: multiplier values keyed by option name (each weigher's
            ``multiplier_option``, e.g. ``ram_weight_multiplier``). The service's
            ``conf.filter_scheduler`` group is such a mapping and can be passed as it is.

    Raises:
        ValueError: if a name is not in :data:`WEIGHERS` (every unknown name is listed),
            or a named weigher's option is missing from ``conf_values`` or not a number.
            A missing option is an error rather than a silent default so that a
            mapping keyed the wrong way fails at start-up instead of ignoring config.
    """
    wanted = [name.strip() for name in names]
    unknown = [name for name in wanted if name not in WEIGHERS]
    if unknown:
        raise ValueError(
            f"Unknown scheduler weighers: {', '.join(unknown)}; "
            f"available: {', '.join(sorted(WEIGHERS))}"
        )
    return [_build(WEIGHERS[name], conf_values) for name in wanted]


def _build(cls: type[BaseWeigher], conf_values: Mapping[str, Any]) -> BaseWeigher:
    option = cls.multiplier_option
    if option not in conf_values:
        raise ValueError(
            f"{cls.__name__} needs {option!r} in its config values "
            "(keyed by option name, as in the [filter_scheduler] group)"
        )
    raw = conf_values[option]
    try:
        multiplier = float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"{option} must be a number, not {raw!r}") from None
    return cls(multiplier)


__all__ = [
    "WEIGHERS",
    "BaseWeigher",
    "CPUWeigher",
    "CrossCellWeigher",
    "DiskWeigher",
    "RAMWeigher",
    "ServerGroupSoftAffinityWeigher",
    "ServerGroupSoftAntiAffinityWeigher",
    "WeighedHost",
    "load_weighers",
    "normalize",
    "weigh_hosts",
]

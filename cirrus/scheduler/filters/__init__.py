"""Host filters: one pure class per module, enabled by name in ``enabled_filters``."""

from collections.abc import Iterable

from cirrus.scheduler.filters.affinity_filter import DifferentHostFilter, SameHostFilter
from cirrus.scheduler.filters.aggregate_instance_extra_specs import (
    AggregateInstanceExtraSpecsFilter,
)
from cirrus.scheduler.filters.availability_zone_filter import AvailabilityZoneFilter
from cirrus.scheduler.filters.base import BaseFilter, FilterReport, FilterStep, run_filters
from cirrus.scheduler.filters.compute_filter import ComputeFilter
from cirrus.scheduler.filters.image_props_filter import ImagePropertiesFilter
from cirrus.scheduler.filters.server_group_filter import (
    ServerGroupAffinityFilter,
    ServerGroupAntiAffinityFilter,
)

FILTERS: dict[str, type[BaseFilter]] = {
    cls.__name__: cls
    for cls in (
        ComputeFilter,
        AvailabilityZoneFilter,
        AggregateInstanceExtraSpecsFilter,
        ImagePropertiesFilter,
        SameHostFilter,
        DifferentHostFilter,
        ServerGroupAffinityFilter,
        ServerGroupAntiAffinityFilter,
    )
}
"""Every filter ``enabled_filters`` may name."""


def load_filters(names: Iterable[str]) -> list[BaseFilter]:
    """One instance of each named filter, in the order given.

    Raises:
        ValueError: if a name is not in :data:`FILTERS`; the message lists every
            unknown name, so a typo in the config fails the service at start-up.
    """
    wanted = [name.strip() for name in names]
    unknown = [name for name in wanted if name not in FILTERS]
    if unknown:
        raise ValueError(
            f"Unknown scheduler filters: {', '.join(unknown)}; "
            f"available: {', '.join(sorted(FILTERS))}"
        )
    return [FILTERS[name]() for name in wanted]


__all__ = [
    "FILTERS",
    "AggregateInstanceExtraSpecsFilter",
    "AvailabilityZoneFilter",
    "BaseFilter",
    "ComputeFilter",
    "DifferentHostFilter",
    "FilterReport",
    "FilterStep",
    "ImagePropertiesFilter",
    "SameHostFilter",
    "ServerGroupAffinityFilter",
    "ServerGroupAntiAffinityFilter",
    "load_filters",
    "run_filters",
]

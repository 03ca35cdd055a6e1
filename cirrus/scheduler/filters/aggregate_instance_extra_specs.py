"""AggregateInstanceExtraSpecsFilter: flavor extra specs against host aggregate metadata."""

from collections import defaultdict

from cirrus.objects.request_spec import RequestSpec
from cirrus.scheduler.filters import extra_specs_ops
from cirrus.scheduler.filters.base import BaseFilter
from cirrus.scheduler.host_state import HostState

SCOPE = "aggregate_instance_extra_specs"


def aggregate_metadata(host: HostState) -> dict[str, set[str]]:
    """Every value of every metadata key over the host's aggregates.

    A metadata value is a comma-separated list, so ``"ssd, nvme"`` contributes
    ``"ssd"`` and ``"nvme"``.
    """
    merged: dict[str, set[str]] = defaultdict(set)
    for aggregate in host.aggregates:
        for key, value in aggregate.metadata.items():
            merged[key].update(part.strip() for part in value.split(","))
    return merged


def _requirements(extra_specs: dict[str, str]) -> list[tuple[str, str]]:
    """(metadata key, requirement) pairs this filter is responsible for.

    Keys scoped ``aggregate_instance_extra_specs:`` lose the scope; unscoped keys (no
    colon) are taken as they are; keys in any other scope belong to other filters or
    to the driver and are ignored.
    """
    pairs = []
    for key, req in extra_specs.items():
        scope, sep, rest = key.partition(":")
        if not sep:
            pairs.append((key, req))
        elif scope == SCOPE:
            pairs.append((rest, req))
    return pairs


class AggregateInstanceExtraSpecsFilter(BaseFilter):
    """Passes a host when each relevant flavor extra spec is met by its aggregates.

    A requirement is met when at least one value of that key, in any of the host's
    aggregates, matches it under :func:`extra_specs_ops.match`. A host without the key
    fails, so an unscoped extra spec confines the flavor to aggregates that carry it.
    """

    # Aggregate membership and the flavor are fixed for the whole request.
    run_filter_once_per_request = True

    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        """True when every requirement finds a matching aggregate value."""
        requirements = _requirements(spec.flavor.extra_specs)
        if not requirements:
            return True
        metadata = aggregate_metadata(host)
        return all(
            any(extra_specs_ops.match(value, req) for value in metadata.get(key, ()))
            for key, req in requirements
        )

"""The weigher contract, and the runner that turns raw weights into an ordering."""

import abc
import dataclasses
from collections.abc import Iterable, Sequence
from typing import ClassVar

from cirrus.objects.request_spec import RequestSpec
from cirrus.scheduler.host_state import HostState


class BaseWeigher(abc.ABC):
    """Scores hosts on one criterion; higher raw weight means more preferred.

    Raw weights are only compared across the hosts of one request: :func:`weigh_hosts`
    rescales them to [0, 1] before applying the multiplier, so a weigher's unit (MB,
    vCPUs, 0/1) does not matter, only its ordering and the multiplier do.
    """

    multiplier_option: ClassVar[str]
    """The ``[filter_scheduler]`` option holding this weigher's multiplier."""

    def __init__(self, multiplier: float) -> None:
        """Build the weigher.

        Args:
            multiplier: the configured multiplier. Positive prefers hosts with a higher
                raw weight, negative a lower one, 0 turns the weigher off.
        """
        self.multiplier = float(multiplier)

    @property
    def name(self) -> str:
        """The name the weigher is enabled by in ``[filter_scheduler] weight_classes``."""
        return type(self).__name__

    def weight_multiplier(self, host: HostState) -> float:
        """The multiplier for ``host``.

        An aggregate of the host may override the configured value with metadata under
        the option's name (``ram_weight_multiplier=2.0``); when several aggregates do,
        the smallest wins. Metadata that is not a number is ignored, so a bad aggregate
        cannot stop scheduling.
        """
        overrides = [
            aggregate.metadata[self.multiplier_option]
            for aggregate in host.aggregates
            if self.multiplier_option in aggregate.metadata
        ]
        try:
            return min(float(value) for value in overrides) if overrides else self.multiplier
        except ValueError:
            return self.multiplier

    @abc.abstractmethod
    def _weigh_object(self, host: HostState, spec: RequestSpec) -> float:
        """The raw weight of ``host`` for ``spec``; pure, no I/O."""


@dataclasses.dataclass(frozen=True)
class WeighedHost:
    """A host and its total weight; lists of these are sorted best first."""

    host: HostState
    weight: float
    """Sum over weighers of multiplier x normalised raw weight."""
    contributions: dict[str, float] = dataclasses.field(default_factory=dict)
    """Each weigher's part of ``weight``, by weigher name, for logs and explanations."""


def normalize(raw: Sequence[float]) -> list[float]:
    """Min-max rescale to [0, 1]; all-equal (or a single value) gives all zeros."""
    if not raw:
        return []
    low, high = min(raw), max(raw)
    if high == low:
        # Nothing to tell the hosts apart: contribute nothing rather than divide by 0.
        return [0.0] * len(raw)
    span = high - low
    return [(value - low) / span for value in raw]


def _order_key(weighed: WeighedHost) -> tuple[float, str, str, str]:
    # Equal weights fall back to names so that the same inputs always give the same
    # order, whatever order the candidates arrived in.
    host = weighed.host
    return (-weighed.weight, host.host, host.nodename, host.uuid)


def weigh_hosts(
    weighers: Sequence[BaseWeigher], hosts: Iterable[HostState], spec: RequestSpec
) -> list[WeighedHost]:
    """Weigh ``hosts`` for ``spec`` and sort them best first.

    For each weigher, raw weights are normalised across ``hosts`` (see
    :func:`normalize`) and multiplied by ``weight_multiplier(host)``; a host's weight
    is the sum. Ties are broken by host name, then node name, then uuid.
    """
    candidates = list(hosts)
    totals = [0.0] * len(candidates)
    parts: list[dict[str, float]] = [{} for _ in candidates]
    for weigher in weighers:
        raw = [weigher._weigh_object(host, spec) for host in candidates]
        for i, (host, norm) in enumerate(zip(candidates, normalize(raw), strict=True)):
            contribution = weigher.weight_multiplier(host) * norm
            totals[i] += contribution
            parts[i][weigher.name] = contribution
    weighed = [
        WeighedHost(host, total, part)
        for host, total, part in zip(candidates, totals, parts, strict=True)
    ]
    return sorted(weighed, key=_order_key)

"""The filter contract, and the runner that records which filter removed which hosts."""

import abc
import dataclasses
from collections.abc import Iterable, Sequence
from typing import ClassVar

from cirrus.objects.request_spec import RequestSpec
from cirrus.scheduler.host_state import HostState


class BaseFilter(abc.ABC):
    """One yes/no question asked of every candidate host.

    A filter answers from the host and the request alone: it does no I/O, reads no
    config and keeps no state between calls, so one instance can serve every request.
    """

    run_filter_once_per_request: ClassVar[bool] = False
    """True when the answer cannot change between the servers of one multi-server
    request; the runner then asks only for the first server (index 0)."""

    @property
    def name(self) -> str:
        """The name the filter is enabled by in ``[filter_scheduler] enabled_filters``."""
        return type(self).__name__

    @abc.abstractmethod
    def host_passes(self, host: HostState, spec: RequestSpec) -> bool:
        """Whether ``host`` can take the server ``spec`` describes."""

    def run_filter_for_index(self, index: int) -> bool:
        """Whether to run for the ``index``-th server (0-based) of a multi-server request."""
        return index == 0 or not self.run_filter_once_per_request

    def filter_all(self, hosts: Iterable[HostState], spec: RequestSpec) -> list[HostState]:
        """The hosts that pass, in their original order."""
        return [host for host in hosts if self.host_passes(host, spec)]


@dataclasses.dataclass(frozen=True)
class FilterStep:
    """What one filter did to the candidate list."""

    name: str
    hosts_in: int
    hosts_out: int
    removed: tuple[str, ...] = ()
    """Names of the hosts this filter eliminated, in candidate order."""
    skipped: bool = False
    """True when the filter runs once per request and this was not the first server."""

    def describe(self) -> str:
        """``"Name: in -> out"``, or ``"Name: skipped"``."""
        if self.skipped:
            return f"{self.name}: skipped"
        return f"{self.name}: {self.hosts_in} -> {self.hosts_out}"


@dataclasses.dataclass(frozen=True)
class FilterReport:
    """How a candidate list shrank through the enabled filters.

    Filters after the one that eliminated the last host are not run and have no step.
    """

    hosts_in: int
    """Candidates before the first filter."""
    steps: tuple[FilterStep, ...] = ()
    """One entry per filter run (or skipped), in order."""
    eliminated_by: str | None = None
    """The filter that removed the last remaining host; None if any host survived or
    there were no candidates to begin with."""

    @property
    def hosts_out(self) -> int:
        """Hosts left after the last filter."""
        return self.steps[-1].hosts_out if self.steps else self.hosts_in

    def message(self) -> str:
        """One line for logs and the ``NoValidHost`` reason.

        Examples: ``"Filter ComputeFilter returned 0 hosts (ComputeFilter: 3 -> 0)"``,
        ``"2 of 3 hosts passed the filters (ComputeFilter: 3 -> 2)"``,
        ``"No candidate hosts to filter"``.
        """
        if self.hosts_in == 0:
            return "No candidate hosts to filter"
        counts = ", ".join(step.describe() for step in self.steps) or "no filters enabled"
        if self.eliminated_by is not None:
            return f"Filter {self.eliminated_by} returned 0 hosts ({counts})"
        return f"{self.hosts_out} of {self.hosts_in} hosts passed the filters ({counts})"

    def __str__(self) -> str:
        return self.message()


def run_filters(
    filters: Sequence[BaseFilter],
    hosts: Iterable[HostState],
    spec: RequestSpec,
    index: int = 0,
) -> tuple[list[HostState], FilterReport]:
    """Run ``filters`` in order over ``hosts`` for the ``index``-th server of ``spec``.

    Stops at the first filter that leaves no host, since later filters have nothing to
    say about an empty list and the report should name the one that emptied it.

    Returns:
        The surviving hosts in their original order, and the report.
    """
    remaining = list(hosts)
    report_in = len(remaining)
    steps: list[FilterStep] = []
    eliminated_by: str | None = None
    if not remaining:
        return remaining, FilterReport(hosts_in=0)
    for filter_ in filters:
        before = len(remaining)
        if not filter_.run_filter_for_index(index):
            steps.append(FilterStep(filter_.name, before, before, skipped=True))
            continue
        passed = filter_.filter_all(remaining, spec)
        # NOTE: by identity, because HostState holds dicts and so cannot be hashed.
        kept = {id(host) for host in passed}
        removed = tuple(host.host for host in remaining if id(host) not in kept)
        steps.append(FilterStep(filter_.name, before, len(passed), removed))
        remaining = passed
        if not remaining:
            eliminated_by = filter_.name
            break
    return remaining, FilterReport(report_in, tuple(steps), eliminated_by)

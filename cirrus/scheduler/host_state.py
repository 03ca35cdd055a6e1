"""What the scheduler knows of one compute node when filtering and weighing."""

import dataclasses


@dataclasses.dataclass(frozen=True)
class AggregateInfo:
    """A host aggregate the host is in."""

    name: str
    metadata: dict[str, str]


@dataclasses.dataclass(frozen=True)
class HostState:
    """A compute node as filters and weighers see it; built fresh for each request.

    Free amounts already account for allocation ratios and reserved resources, from the
    Placement provider summary when available.
    """

    host: str
    nodename: str
    uuid: str
    """The compute node's uuid, which is also its resource provider uuid."""
    cell_uuid: str
    cell_name: str | None = None
    service_up: bool = True
    service_disabled: bool = False
    service_disabled_reason: str | None = None
    availability_zone: str = "nova"
    aggregates: tuple[AggregateInfo, ...] = ()
    hypervisor_type: str = "fake"
    hypervisor_version: int = 1000
    supported_instances: tuple[tuple[str, str, str], ...] = ()
    """(architecture, hypervisor type, vm mode) triples the host can run."""
    vcpus_total: int = 0
    vcpus_used: int = 0
    cpu_allocation_ratio: float = 16.0
    total_usable_ram_mb: int = 0
    free_ram_mb: int = 0
    total_usable_disk_gb: int = 0
    free_disk_mb: int = 0
    num_instances: int = 0
    instances: frozenset[str] = frozenset()
    """Uuids of servers on this host."""

    @property
    def free_vcpus(self) -> float:
        """vCPUs still allocatable with the ratio applied."""
        return self.vcpus_total * self.cpu_allocation_ratio - self.vcpus_used

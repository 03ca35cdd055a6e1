"""Hypervisor bodies by microversion: 2.1, 2.28 (cpu_info object), 2.53 (uuids), 2.88."""

import dataclasses
from collections.abc import Sequence
from typing import Any

from cirrus.api.microversion import Version
from cirrus.objects.compute_node import ComputeNode
from cirrus.objects.service import Service

# Usage fields dropped from the detail body at 2.88 (Placement has them).
STAT_KEYS = ("vcpus", "memory_mb", "local_gb", "vcpus_used", "memory_mb_used", "local_gb_used",
          "free_ram_mb", "free_disk_gb", "current_workload", "running_vms",
          "disk_available_least")


@dataclasses.dataclass(frozen=True)
class Hypervisor:
    """A compute node with the service that runs it."""

    node: ComputeNode
    service: Service
    up: bool
    servers: Sequence[tuple[str, str]] | None = None
    """(hypervisor name, uuid) of its servers, when they were asked for."""


def statistics(node: ComputeNode) -> dict[str, int]:
    """The usage numbers of a node, as the pre-2.88 detail body and /statistics give them."""
    free_disk = node.local_gb - node.local_gb_used
    return {
        "vcpus": node.vcpus, "memory_mb": node.memory_mb, "local_gb": node.local_gb,
        "vcpus_used": node.vcpus_used, "memory_mb_used": node.memory_mb_used,
        "local_gb_used": node.local_gb_used,
        "free_ram_mb": node.memory_mb - node.memory_mb_used, "free_disk_gb": free_disk,
        # No driver reports I/O workload or a separate least-available disk yet.
        "current_workload": 0, "running_vms": node.running_vms,
        "disk_available_least": free_disk,
    }


def hypervisor(hyp: Hypervisor, version: Version, *, detail: bool,
               with_servers: bool) -> dict[str, Any]:
    """One hypervisor; ``detail`` for /detail and show."""
    uuids = version.matches((2, 53))
    node, svc = hyp.node, hyp.service
    body: dict[str, Any] = {
        "id": node.uuid if uuids else node.id,
        "hypervisor_hostname": node.hypervisor_hostname,
        "state": "up" if hyp.up else "down",
        "status": "disabled" if svc.disabled else "enabled",
    }
    if detail:
        body.update(hypervisor_type=node.hypervisor_type,
                    hypervisor_version=node.hypervisor_version, host_ip=node.host_ip)
        body["service"] = {"id": svc.uuid if uuids else svc.id, "host": node.host,
                           "disabled_reason": svc.disabled_reason}
        if version.matches((2, 88)):
            # No driver reports an uptime yet; Nova gives null then too.
            body["uptime"] = None
        else:
            stats = statistics(node)
            body.update({k: stats[k] for k in STAT_KEYS})
            body["cpu_info"] = {} if version.matches((2, 28)) else "{}"
    if hyp.servers:
        body["servers"] = [{"name": name, "uuid": uuid} for name, uuid in hyp.servers]
    elif with_servers and version.matches((2, 75)):
        body["servers"] = []
    return body

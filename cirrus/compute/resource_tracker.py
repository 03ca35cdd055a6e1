"""Keeps the compute node record and its Placement inventory in step with the host."""

import logging
import threading
from typing import Any

from cirrus.compute import bandwidth
from cirrus.compute.drivers.base import ComputeDriver
from cirrus.objects import compute_node as cn_obj
from cirrus.objects import instance_usage as usage_obj
from cirrus.objects.cell_mapping import CellMapping
from cirrus.runtime import Runtime

LOG = logging.getLogger(__name__)


class ResourceTracker:
    """Reports a host's resources and recomputes its usage from the servers on it."""

    def __init__(self, runtime: Runtime, cell: CellMapping, host: str,
                 driver: ComputeDriver) -> None:
        self._runtime = runtime
        self._cell = cell
        self._host = host
        self._driver = driver
        self._lock = threading.Lock()
        self.nodes: dict[str, cn_obj.ComputeNode] = {}
        # Refresh requests asked for and covered, for refresh_usage's sharing.
        self._refresh = threading.Condition()
        self._asked = self._covered = 0
        self._refreshing = False

    def _inventory(self, res: Any) -> dict[str, dict[str, Any]]:
        conf = self._runtime.conf
        return {
            "VCPU": {"total": res.vcpus, "reserved": conf.reserved_host_cpus,
                     "allocation_ratio": conf.cpu_allocation_ratio, "min_unit": 1,
                     "max_unit": res.vcpus, "step_size": 1},
            "MEMORY_MB": {"total": res.memory_mb, "reserved": conf.reserved_host_memory_mb,
                          "allocation_ratio": conf.ram_allocation_ratio, "min_unit": 1,
                          "max_unit": res.memory_mb, "step_size": 1},
            "DISK_GB": {"total": res.local_gb,
                        "reserved": -(-conf.reserved_host_disk_mb // 1024),
                        "allocation_ratio": conf.disk_allocation_ratio, "min_unit": 1,
                        "max_unit": res.local_gb, "step_size": 1},
        }

    def update_available_resource(self, service_id: int | None) -> None:
        """Audit every node: record, inventory in Placement, usage from the servers."""
        conf = self._runtime.conf
        with self._lock:
            for nodename in self._driver.get_available_nodes():
                res = self._driver.get_available_resource(nodename)
                values = {
                    "service_id": service_id, "hypervisor_type": res.hypervisor_type,
                    "hypervisor_version": res.hypervisor_version, "vcpus": res.vcpus,
                    "memory_mb": res.memory_mb, "local_gb": res.local_gb, "host_ip": "127.0.0.1",
                    "cpu_allocation_ratio": conf.cpu_allocation_ratio,
                    "ram_allocation_ratio": conf.ram_allocation_ratio,
                    "disk_allocation_ratio": conf.disk_allocation_ratio,
                    "reserved_host_memory_mb": conf.reserved_host_memory_mb,
                    "reserved_host_disk_mb": conf.reserved_host_disk_mb,
                    "reserved_host_cpus": conf.reserved_host_cpus,
                }
                with self._runtime.cell_session(self._cell) as s:
                    node = cn_obj.ensure(s, self._host, nodename, values)
                placement = self._runtime.placement
                placement.ensure_provider(node.uuid, nodename)
                placement.set_inventory(node.uuid, self._inventory(res))
                bandwidth.report(placement, node.uuid, nodename, bandwidth.for_host(
                    conf.network_agent.resource_provider_bandwidths, self._host))
                self.nodes[nodename] = node
                self._update_usage(node)

    def _update_usage(self, node: cn_obj.ComputeNode) -> None:
        with self._runtime.cell_session(self._cell) as s:
            count, vcpus, ram, disk = usage_obj.usage_on_host(s, self._host)
            cn_obj.update_usage(
                s, node.id, vcpus_used=vcpus,
                memory_mb_used=ram + node.reserved_host_memory_mb,
                local_gb_used=disk, running_vms=count)

    def refresh_usage(self) -> None:
        """Recompute usage after a server arrived or left.

        Concurrent callers share recomputations: each returns once a recomputation that
        began after it asked has finished, so its own change is counted, but builds ending
        together on a busy host pay for one recomputation instead of one each. A failed
        one covers nobody; a waiter then runs its own.
        """
        with self._refresh:
            self._asked += 1
            wanted = self._asked
            while self._covered < wanted and self._refreshing:
                self._refresh.wait()
            if self._covered >= wanted:
                return
            self._refreshing, covers = True, self._asked
        try:
            with self._lock:
                for node in self.nodes.values():
                    self._update_usage(node)
        except BaseException:
            covers = 0
            raise
        finally:
            with self._refresh:
                self._refreshing = False
                self._covered = max(self._covered, covers)
                self._refresh.notify_all()

    def node(self, nodename: str | None = None) -> cn_obj.ComputeNode:
        """The node record (the only one when ``nodename`` is None)."""
        if nodename and nodename in self.nodes:
            return self.nodes[nodename]
        return next(iter(self.nodes.values()))

"""Hypervisor drivers. The public API is ComputeDriver, Capabilities and load_driver."""

from cirrus.compute.drivers.base import Capabilities, ComputeDriver, HostResources
from cirrus.compute.drivers.loader import load_driver

__all__ = ["Capabilities", "ComputeDriver", "HostResources", "load_driver"]

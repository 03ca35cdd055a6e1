"""Choose the driver named by ``[DEFAULT] compute_driver``."""

from pathlib import Path
from typing import Any

from oslo_config import cfg

from cirrus.compute.drivers.base import ComputeDriver

KNOWN = ("fake", "local")


def load_driver(conf: cfg.ConfigOpts, image: Any = None) -> ComputeDriver:
    """An instance of the configured driver; raises ValueError for an unknown name.

    Args:
        conf: the service's configuration.
        image: the image service client, for drivers that download images (local).
    """
    name = conf.compute_driver
    if name == "fake":
        from cirrus.compute.drivers.fake import FakeDriver

        size = conf.fake_driver
        return FakeDriver(vcpus=size.vcpus, memory_mb=size.memory_mb, local_gb=size.local_gb)
    if name == "local":
        from cirrus.compute.drivers.local import LocalDiskDriver

        opts = conf.local_driver
        return LocalDiskDriver(Path(opts.instances_path), image, vcpus=opts.vcpus,
                               memory_mb=opts.memory_mb, local_gb=opts.local_gb,
                               reserved_disk_mb=opts.reserved_host_disk_mb)
    raise ValueError(f"unknown compute_driver {name!r}; known: {', '.join(KNOWN)}")

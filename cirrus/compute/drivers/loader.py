"""Choose the driver named by ``[DEFAULT] compute_driver``."""

from oslo_config import cfg

from cirrus.compute.drivers.base import ComputeDriver


def load_driver(conf: cfg.ConfigOpts) -> ComputeDriver:
    """An instance of the configured driver; raises ValueError for an unknown name."""
    name = conf.compute_driver
    if name == "fake":
        from cirrus.compute.drivers.fake import FakeDriver

        size = conf.fake_driver
        return FakeDriver(vcpus=size.vcpus, memory_mb=size.memory_mb, local_gb=size.local_gb)
    raise ValueError(f"unknown compute_driver {name!r}; known: fake")

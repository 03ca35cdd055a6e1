"""A whole deployment for tests: the all-in-one on a free port, plus client helpers."""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cirrus.allinone.config import Options
from cirrus.allinone.runner import AllInOne


@contextmanager
def deployment(state_dir: Path | None = None, **options: Any) -> Iterator[AllInOne]:
    """Start an all-in-one (port 0: any free port) and stop it afterwards."""
    with tempfile.TemporaryDirectory(prefix="cirrus-") as tmp:
        aio = AllInOne(Options(state_dir=state_dir or Path(tmp), port=0, **options))
        aio.start()
        try:
            yield aio
        finally:
            aio.stop()


def sdk(aio: AllInOne, cloud: str = "cirrus") -> Any:
    """An openstacksdk connection to ``cloud`` of the deployment's clouds.yaml."""
    import openstack
    from openstack import config as os_config

    cfg = os_config.OpenStackConfig(config_files=[str(aio.options.state_dir / "clouds.yaml")])
    return openstack.connection.Connection(config=cfg.get_one(cloud))

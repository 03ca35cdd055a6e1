"""Factories for the host states and request specs the scheduler unit tests build."""

from collections.abc import Callable
from typing import Any

import pytest

from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.request_spec import ImageMeta, RequestSpec
from cirrus.scheduler.host_state import HostState

INSTANCE_UUID = "11111111-1111-1111-1111-111111111111"


@pytest.fixture
def make_host() -> Callable[..., HostState]:
    """``make_host("host1", free_ram_mb=512, ...)``: a HostState named after its host."""

    def make(name: str = "host1", **fields: Any) -> HostState:
        values: dict[str, Any] = {
            "host": name,
            "nodename": name,
            "uuid": f"uuid-{name}",
            "cell_uuid": "cell1-uuid",
        }
        values.update(fields)
        return HostState(**values)

    return make


@pytest.fixture
def make_spec() -> Callable[..., RequestSpec]:
    """``make_spec(extra_specs={...}, image_props={...}, **request_spec_fields)``."""

    def make(
        extra_specs: dict[str, str] | None = None,
        image_props: dict[str, Any] | None = None,
        **fields: Any,
    ) -> RequestSpec:
        flavor = FlavorSpec(
            id=1,
            flavorid="1",
            name="m1.tiny",
            memory_mb=512,
            vcpus=1,
            root_gb=1,
            ephemeral_gb=0,
            swap=0,
            extra_specs=dict(extra_specs or {}),
        )
        values: dict[str, Any] = {
            "instance_uuid": INSTANCE_UUID,
            "project_id": "demo",
            "user_id": "alice",
            "flavor": flavor,
            "image": ImageMeta(id="image-1", properties=dict(image_props or {})),
        }
        values.update(fields)
        return RequestSpec(**values)

    return make

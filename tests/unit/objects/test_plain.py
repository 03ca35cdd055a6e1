"""as_plain: what dataclasses.asdict gives, without its deep copies."""

import dataclasses

from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.request_spec import (
    Destination,
    GroupInfo,
    ImageMeta,
    RequestGroup,
    RequestSpec,
)


def _spec() -> RequestSpec:
    flavor = FlavorSpec(id=2, flavorid="2", name="m1.small", memory_mb=2048, vcpus=1,
                        root_gb=20, ephemeral_gb=0, swap=0, extra_specs={"hw:cpu": "x"})
    return RequestSpec(
        instance_uuid="i", project_id="p", user_id="u", flavor=flavor,
        image=ImageMeta(id="img", properties={"hw_disk_bus": "virtio", "tags": ["a", "b"]}),
        scheduler_hints={"same_host": ["x"]},
        instance_group=GroupInfo(uuid="g", policy="anti-affinity", members=("m",),
                                 member_hosts={"m": "h"}),
        ignore_hosts=("h1",), requested_destination=Destination(host="h2"),
        requested_resources=(RequestGroup("port", {"NET_BW_EGR_KILOBIT_PER_SEC": 10},
                                          required_traits=("CUSTOM_PHYSNET",)),),
        same_subtree=(("a", "b"),))


def test_request_spec_as_asdict_gives_it() -> None:
    spec = _spec()
    assert spec.to_dict() == dataclasses.asdict(spec)
    assert RequestSpec.from_dict(spec.to_dict()) == spec


def test_containers_are_copies() -> None:
    spec = _spec()
    values = spec.to_dict()
    values["flavor"]["extra_specs"]["hw:cpu"] = "changed"
    values["image"]["properties"]["tags"].append("c")
    assert spec.flavor.extra_specs == {"hw:cpu": "x"}
    assert spec.image.properties["tags"] == ["a", "b"]
    assert isinstance(values["ignore_hosts"], tuple)


def test_flavor_round_trip_ignores_unknown_keys() -> None:
    flavor = _spec().flavor
    assert flavor.to_dict() == dataclasses.asdict(flavor)
    assert FlavorSpec.from_dict({**flavor.to_dict(), "retired": True}) == flavor

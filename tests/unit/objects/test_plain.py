"""as_dict gives what dataclasses.asdict gives, copies included."""

import collections
import dataclasses

import pytest

from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.plain import as_dict
from cirrus.objects.request_spec import (
    Destination,
    GroupInfo,
    ImageMeta,
    RequestGroup,
    RequestSpec,
)
from cirrus.objects.states import VmState

FLAVOR = FlavorSpec(id=1, flavorid="1", name="m1.tiny", memory_mb=512, vcpus=1, root_gb=1,
                    ephemeral_gb=0, swap=0, extra_specs={"hw:cpu_policy": "dedicated"})
Pair = collections.namedtuple("Pair", "a b")


def _spec() -> RequestSpec:
    return RequestSpec(
        instance_uuid="u1", project_id="p", user_id="u", flavor=FLAVOR,
        image=ImageMeta(id="i1", properties={"hw_disk_bus": "virtio", "n": [1, {"x": 2}]}),
        scheduler_hints={"group": ["g1"]},
        instance_group=GroupInfo(uuid="g1", policy="anti-affinity", hosts=("h1",),
                                 members=("u0", "u1"), rules={"max_server_per_host": 2},
                                 member_hosts={"u0": "h1"}),
        ignore_hosts=("h2",), requested_destination=Destination(host="h3"),
        requested_resources=(RequestGroup("port-1", {"NET_BW_EGR_KILOBIT_PER_SEC": 1000},
                                          required_traits=("CUSTOM_PHYSNET",)),),
        same_subtree=(("port-1", "port-2"),),
    )


def test_equal_to_asdict_and_of_the_same_types():
    spec = _spec()
    got, want = as_dict(spec), dataclasses.asdict(spec)
    assert got == want
    assert repr(got) == repr(want)  # tuples stay tuples, as asdict keeps them
    assert as_dict(FLAVOR) == dataclasses.asdict(FLAVOR)


def test_shares_no_mutable_value_with_the_object():
    spec = _spec()
    got = as_dict(spec)
    got["image"]["properties"]["n"][1]["x"] = 3
    got["flavor"]["extra_specs"].clear()
    assert spec.image.properties["n"][1]["x"] == 2
    assert FLAVOR.extra_specs == {"hw:cpu_policy": "dedicated"}


def test_other_leaves_and_containers_go_as_asdict_takes_them():
    @dataclasses.dataclass
    class Odd:
        pair: Pair
        state: VmState
        names: set[str]

    odd = Odd(Pair([1], FLAVOR), VmState.ACTIVE, {"a"})
    got = as_dict(odd)
    assert got == dataclasses.asdict(odd)
    assert type(got["pair"]) is Pair and got["pair"].b == dataclasses.asdict(FLAVOR)
    assert got["state"] is VmState.ACTIVE


def test_refuses_what_asdict_refuses():
    with pytest.raises(TypeError):
        as_dict(FlavorSpec)
    with pytest.raises(TypeError):
        as_dict({"a": 1})

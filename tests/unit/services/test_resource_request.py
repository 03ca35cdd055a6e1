"""Ports' resource requests: both Neutron formats, the profile, and the allocation search."""

import pytest

from cirrus.network import resource_request as rr
from cirrus.objects.request_spec import RequestGroup

TRAITS = ["CUSTOM_PHYSNET_PUBLIC", "CUSTOM_VNIC_TYPE_NORMAL"]


def test_legacy_request_is_one_group_of_the_port():
    groups, subtree = rr.request_groups("p1", {"resources": {rr.NET_BW_EGR: 10},
                                               "required": [*TRAITS, "!CUSTOM_X"]})
    assert groups == [RequestGroup("p1", {rr.NET_BW_EGR: 10}, tuple(TRAITS), ("CUSTOM_X",))]
    assert subtree == ()
    assert rr.profile_allocation("p1", {"resources": {rr.NET_BW_EGR: 10}}, {"p1": "rp"}) == "rp"


def test_grouped_request_is_one_group_per_entry():
    request = {"request_groups": [{"id": "g1", "resources": {rr.NET_BW_EGR: 1}},
                                  {"id": "g2", "resources": {rr.NET_BW_IGR: 2}}],
               "same_subtree": ["g1", "g2"]}
    groups, subtree = rr.request_groups("p1", request)
    assert [g.requester_id for g in groups] == ["g1", "g2"]
    assert subtree == ("g1", "g2")
    assert rr.profile_allocation("p1", request, {"g1": "a", "g2": "b"}) == {"g1": "a", "g2": "b"}


@pytest.mark.parametrize("request_", [None, {}, {"resources": {}}])
def test_no_request_no_group(request_):
    assert rr.request_groups("p1", request_) == ([], ())
    assert rr.profile_allocation("p1", request_, {}) is None


def test_network_traits_fill_only_a_legacy_request_without_traits():
    bare = {"resources": {rr.NET_BW_EGR: 1}}
    assert rr.with_network_traits(bare, "Phys-1", "normal")["required"] == [
        "CUSTOM_PHYSNET_PHYS_1", "CUSTOM_VNIC_TYPE_NORMAL"]
    assert "required" not in rr.with_network_traits(bare, None, "normal")
    named = {**bare, "required": ["CUSTOM_Y"]}
    assert rr.with_network_traits(named, "public", "normal") == named


def test_mapping_from_an_allocation_tells_providers_apart_by_traits_and_amounts():
    traits = {"root": set(), "a": {*TRAITS}, "b": {*TRAITS}}
    allocations = {"root": {"VCPU": 1}, "a": {rr.NET_BW_EGR: 100}, "b": {rr.NET_BW_EGR: 300}}
    groups = [RequestGroup("big", {rr.NET_BW_EGR: 300}, tuple(TRAITS)),
              RequestGroup("small", {rr.NET_BW_EGR: 100}, tuple(TRAITS))]
    assert rr.map_to_providers(groups, allocations, traits.__getitem__) == {
        "big": "b", "small": "a"}


def test_mapping_backtracks_and_fails_when_nothing_fits():
    traits = {"a": {*TRAITS}, "b": {*TRAITS}}
    allocations = {"a": {rr.NET_BW_EGR: 200}, "b": {rr.NET_BW_EGR: 100}}
    # Greedy would put the first 100 on "a", leaving no provider for the 200.
    groups = [RequestGroup("x", {rr.NET_BW_EGR: 100}, tuple(TRAITS)),
              RequestGroup("y", {rr.NET_BW_EGR: 200}, tuple(TRAITS))]
    assert rr.map_to_providers(groups, allocations, traits.__getitem__) == {"x": "b", "y": "a"}
    with pytest.raises(ValueError, match="does not hold"):
        rr.map_to_providers([RequestGroup("z", {rr.NET_BW_EGR: 500})], allocations,
                            traits.__getitem__)

"""ServerGroupSoftAffinityWeigher and ServerGroupSoftAntiAffinityWeigher."""

import pytest

from cirrus.objects.request_spec import GroupInfo
from cirrus.scheduler.weighers import (
    ServerGroupSoftAffinityWeigher,
    ServerGroupSoftAntiAffinityWeigher,
    weigh_hosts,
)

SELF = "uuid-self"
PACK = ServerGroupSoftAffinityWeigher(1.0)
SPREAD = ServerGroupSoftAntiAffinityWeigher(1.0)


def _spec(make_spec, policy, member_hosts):
    group = GroupInfo(uuid="g", policy=policy, members=(SELF, *member_hosts),
                      member_hosts=member_hosts)
    return make_spec(instance_uuid=SELF, instance_group=group)


@pytest.fixture
def hosts(make_host):
    return [make_host("h1"), make_host("h2"), make_host("h3")]


def test_soft_affinity_prefers_the_host_with_most_members(make_spec, hosts):
    spec = _spec(make_spec, "soft-affinity", {"m1": "h2", "m2": "h2", "m3": "h3"})
    assert [w.host.host for w in weigh_hosts([PACK], hosts, spec)] == ["h2", "h3", "h1"]


def test_soft_anti_affinity_prefers_the_host_with_fewest_members(make_spec, hosts):
    spec = _spec(make_spec, "soft-anti-affinity", {"m1": "h1", "m2": "h1", "m3": "h2"})
    assert [w.host.host for w in weigh_hosts([SPREAD], hosts, spec)] == ["h3", "h2", "h1"]


def test_the_server_itself_does_not_count(make_host, make_spec):
    spec = _spec(make_spec, "soft-affinity", {SELF: "h1"})
    assert PACK._weigh_object(make_host("h1"), spec) == 0.0


@pytest.mark.parametrize("policy", ["affinity", "anti-affinity", "soft-anti-affinity"])
def test_soft_affinity_ignores_other_policies(make_host, make_spec, policy):
    spec = _spec(make_spec, policy, {"m1": "h1"})
    assert PACK._weigh_object(make_host("h1"), spec) == 0.0


@pytest.mark.parametrize("policy", ["affinity", "anti-affinity", "soft-affinity"])
def test_soft_anti_affinity_ignores_other_policies(make_host, make_spec, policy):
    spec = _spec(make_spec, policy, {"m1": "h1"})
    assert SPREAD._weigh_object(make_host("h1"), spec) == 0.0


def test_no_group_weighs_nothing(make_host, make_spec):
    spec = make_spec()
    assert PACK._weigh_object(make_host(), spec) == SPREAD._weigh_object(make_host(), spec) == 0

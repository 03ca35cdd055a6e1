"""ServerGroupAffinityFilter and ServerGroupAntiAffinityFilter."""

import pytest

from cirrus.objects.request_spec import GroupInfo
from cirrus.scheduler.filters.server_group_filter import (
    ServerGroupAffinityFilter,
    ServerGroupAntiAffinityFilter,
    max_server_per_host,
)

SELF, M1, M2, OTHER = "uuid-self", "uuid-m1", "uuid-m2", "uuid-other"
AFFINITY = ServerGroupAffinityFilter()
ANTI = ServerGroupAntiAffinityFilter()


def _group(policy, hosts=(), members=(M1, M2, SELF), rules=None, member_hosts=None):
    return GroupInfo(uuid="group-1", policy=policy, hosts=hosts, members=members, rules=rules or {},
                     member_hosts=member_hosts or {})


def _spec(make_spec, group):
    return make_spec(instance_uuid=SELF, instance_group=group)


# Affinity


def test_affinity_without_group_passes(make_host, make_spec):
    assert AFFINITY.host_passes(make_host("host2"), _spec(make_spec, None))


def test_affinity_passes_only_group_hosts(make_host, make_spec):
    spec = _spec(make_spec, _group("affinity", hosts=("host1",)))
    assert AFFINITY.host_passes(make_host("host1"), spec)
    assert not AFFINITY.host_passes(make_host("host2"), spec)


def test_affinity_first_member_goes_anywhere(make_host, make_spec):
    spec = _spec(make_spec, _group("affinity", hosts=()))
    assert AFFINITY.host_passes(make_host("host2"), spec)


@pytest.mark.parametrize("policy", ["anti-affinity", "soft-affinity", "soft-anti-affinity"])
def test_affinity_ignores_other_policies(make_host, make_spec, policy):
    spec = _spec(make_spec, _group(policy, hosts=("host1",)))
    assert AFFINITY.host_passes(make_host("host2"), spec)


# Anti-affinity: members are counted where the scheduler found them (member_hosts), not
# from the host's instance list, which may hold a copy of a server moving across cells.


def test_anti_affinity_without_group_passes(make_host, make_spec):
    host = make_host(instances=frozenset({M1}))
    assert ANTI.host_passes(host, _spec(make_spec, None))


@pytest.mark.parametrize("policy", ["affinity", "soft-affinity", "soft-anti-affinity"])
def test_anti_affinity_ignores_other_policies(make_host, make_spec, policy):
    group = _group(policy, member_hosts={M1: "host1", M2: "host1"})
    assert ANTI.host_passes(make_host("host1"), _spec(make_spec, group))


def test_anti_affinity_fails_host_with_a_member(make_host, make_spec):
    spec = _spec(make_spec, _group("anti-affinity", member_hosts={M1: "host1"}))
    assert not ANTI.host_passes(make_host("host1"), spec)


def test_anti_affinity_passes_host_without_members(make_host, make_spec):
    spec = _spec(make_spec, _group("anti-affinity", member_hosts={M1: "host1"}))
    assert ANTI.host_passes(make_host("host2", instances=frozenset({OTHER})), spec)


def test_anti_affinity_ignores_host_instance_list(make_host, make_spec):
    # A member listed on the host (a stale copy in another cell) but placed elsewhere by
    # its mapping does not count here.
    spec = _spec(make_spec, _group("anti-affinity", member_hosts={M1: "host2"}))
    assert ANTI.host_passes(make_host("host1", instances=frozenset({M1})), spec)


def test_anti_affinity_passes_host_the_server_is_on(make_host, make_spec):
    # A move may consider its own source host; the server does not exclude itself.
    spec = _spec(make_spec, _group("anti-affinity", member_hosts={SELF: "host1", M1: "host2"}))
    assert ANTI.host_passes(make_host("host1"), spec)
    assert not ANTI.host_passes(make_host("host2"), spec)


@pytest.mark.parametrize(
    ("members_on_host", "limit", "expected"),
    [
        (0, 2, True),
        (1, 2, True),
        (2, 2, False),
        (2, 3, True),
        (3, 3, False),
        (1, "2", True),  # rules may arrive as strings from the API or the DB
        (2, "2", False),
    ],
)
def test_anti_affinity_max_server_per_host(make_host, make_spec, members_on_host, limit, expected):
    members = ("uuid-g0", "uuid-g1", "uuid-g2", "uuid-far", SELF)
    placed = dict.fromkeys(members[:members_on_host], "host1") | {"uuid-far": "host9"}
    group = _group("anti-affinity", members=members, rules={"max_server_per_host": limit},
                   member_hosts=placed)
    assert ANTI.host_passes(make_host("host1"), _spec(make_spec, group)) is expected


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ({}, 1),
        ({"max_server_per_host": 3}, 3),
        ({"max_server_per_host": "4"}, 4),
        ({"max_server_per_host": 0}, 1),
        ({"max_server_per_host": -2}, 1),
        ({"max_server_per_host": "many"}, 1),
        ({"max_server_per_host": None}, 1),
    ],
)
def test_max_server_per_host(rules, expected):
    assert max_server_per_host(rules) == expected


def test_group_filters_run_for_every_server():
    assert ServerGroupAffinityFilter.run_filter_once_per_request is False
    assert ServerGroupAntiAffinityFilter.run_filter_once_per_request is False
    assert ANTI.run_filter_for_index(3) is True

"""DiskWeigher: free disk."""

from cirrus.scheduler.weighers import DiskWeigher, weigh_hosts


def test_raw_weight_is_free_disk(make_host, make_spec):
    assert DiskWeigher(1.0)._weigh_object(make_host(free_disk_mb=10240), make_spec()) == 10240.0


def test_multiplier_option():
    assert DiskWeigher.multiplier_option == "disk_weight_multiplier"


def test_positive_spreads_negative_stacks(make_host, make_spec):
    hosts = [make_host("full", free_disk_mb=1), make_host("empty", free_disk_mb=100)]
    assert weigh_hosts([DiskWeigher(1.0)], hosts, make_spec())[0].host.host == "empty"
    assert weigh_hosts([DiskWeigher(-1.0)], hosts, make_spec())[0].host.host == "full"

"""RAMWeigher: free RAM."""

from cirrus.scheduler.weighers import RAMWeigher, weigh_hosts


def test_raw_weight_is_free_ram(make_host, make_spec):
    assert RAMWeigher(1.0)._weigh_object(make_host(free_ram_mb=2048), make_spec()) == 2048.0


def test_multiplier_option():
    assert RAMWeigher.multiplier_option == "ram_weight_multiplier"


def test_positive_spreads_negative_stacks(make_host, make_spec):
    hosts = [make_host("full", free_ram_mb=512), make_host("empty", free_ram_mb=4096)]
    assert weigh_hosts([RAMWeigher(1.0)], hosts, make_spec())[0].host.host == "empty"
    assert weigh_hosts([RAMWeigher(-1.0)], hosts, make_spec())[0].host.host == "full"

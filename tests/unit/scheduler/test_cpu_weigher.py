"""CPUWeigher: free vCPUs with the allocation ratio applied."""

from cirrus.scheduler.weighers import CPUWeigher, weigh_hosts


def test_raw_weight_is_free_vcpus(make_host, make_spec):
    host = make_host(vcpus_total=4, vcpus_used=6, cpu_allocation_ratio=2.0)
    assert CPUWeigher(1.0)._weigh_object(host, make_spec()) == 2.0


def test_multiplier_option():
    assert CPUWeigher.multiplier_option == "cpu_weight_multiplier"


def test_positive_spreads_negative_stacks(make_host, make_spec):
    hosts = [
        make_host("full", vcpus_total=4, vcpus_used=60),
        make_host("empty", vcpus_total=4, vcpus_used=0),
    ]
    assert weigh_hosts([CPUWeigher(1.0)], hosts, make_spec())[0].host.host == "empty"
    assert weigh_hosts([CPUWeigher(-1.0)], hosts, make_spec())[0].host.host == "full"

"""Our Placement client against the real openstack-placement."""

import uuid
from concurrent import futures

import pytest


@pytest.fixture
def provider(cloud):
    placement = cloud.runtime.placement
    rp = str(uuid.uuid4())
    placement.ensure_provider(rp, f"race-{rp[:8]}")
    placement.set_inventory(rp, {
        "VCPU": {"total": 4, "allocation_ratio": 1.0, "reserved": 0},
        "MEMORY_MB": {"total": 4096, "allocation_ratio": 1.0, "reserved": 0}})
    yield rp
    placement.delete_provider(rp)


def test_concurrent_claims_never_over_allocate(cloud, provider):
    placement = cloud.runtime.placement
    consumers = [str(uuid.uuid4()) for _ in range(8)]

    def _claim(consumer):
        return placement.put_allocations(consumer, {provider: {"VCPU": 2, "MEMORY_MB": 2048}},
                                         "p", "u")

    with futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(_claim, consumers))
    assert results.count(True) == 2
    assert placement.usages(provider) == {"VCPU": 4, "MEMORY_MB": 4096}
    for consumer in consumers:
        placement.delete_allocations(consumer)


def test_move_to_migration_consumer_and_back(cloud, provider):
    placement = cloud.runtime.placement
    instance, migration = str(uuid.uuid4()), str(uuid.uuid4())
    assert placement.put_allocations(instance, {provider: {"VCPU": 1, "MEMORY_MB": 512}},
                                     "p", "u")
    assert placement.move_allocations(instance, migration, "p", "u")
    assert placement.get_allocations(instance)[0] == {}
    assert placement.get_allocations(migration)[0] == {provider: {"VCPU": 1, "MEMORY_MB": 512}}
    assert placement.move_allocations(migration, instance, "p", "u", target_type="INSTANCE",
                                      source_type="MIGRATION")
    assert placement.get_allocations(migration)[0] == {}
    assert placement.get_allocations(instance)[0] == {provider: {"VCPU": 1, "MEMORY_MB": 512}}
    assert not placement.move_allocations(migration, instance, "p", "u")
    placement.delete_allocations(instance)


def test_capacity_refusal_is_false_not_an_error(cloud, provider):
    placement = cloud.runtime.placement
    assert not placement.put_allocations(str(uuid.uuid4()), {provider: {"VCPU": 99}}, "p", "u")

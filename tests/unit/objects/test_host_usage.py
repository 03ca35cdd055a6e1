"""What a host accounts while a server moves: both ends until the move is settled."""

import uuid as uuidlib

import pytest

from cirrus.db.engine import EngineRegistry
from cirrus.db.migration import upgrade
from cirrus.objects import instance as instance_obj
from cirrus.objects import instance_usage as usage_obj
from cirrus.objects import migration as migration_obj
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.states import MigrationStatus as M

TINY = FlavorSpec(id=1, flavorid="1", name="m1.tiny", memory_mb=512, vcpus=1, root_gb=1,
                  ephemeral_gb=0, swap=0)
SMALL = FlavorSpec(id=2, flavorid="2", name="m1.small", memory_mb=2048, vcpus=1, root_gb=20,
                   ephemeral_gb=0, swap=0)


@pytest.fixture
def session(tmp_path):
    engines = EngineRegistry()
    url = f"sqlite:///{tmp_path / 'cell.db'}"
    upgrade("cell", engines.engine(url))
    with engines.session(url) as sess:
        yield sess
    engines.dispose()


def _server(session, host, flavor=TINY):
    values = {"uuid": str(uuidlib.uuid4()), "host": host, "node": host, "vm_state": "active",
              "project_id": "p", "user_id": "u", "memory_mb": flavor.memory_mb,
              "vcpus": flavor.vcpus, "root_gb": flavor.root_gb,
              "ephemeral_gb": flavor.ephemeral_gb, "instance_type_id": flavor.id}
    return instance_obj.create(session, values, flavor)


def _move(session, inst, dest, status_path):
    mig = migration_obj.create(
        session, instance_uuid=inst.uuid, source_compute=inst.host, source_node=inst.node,
        dest_compute=dest, dest_node=dest, old_instance_type_id=1, new_instance_type_id=2,
        migration_type="resize", user_id="u", project_id="p")
    for status in status_path:
        mig = migration_obj.transition(session, mig.id, status)
    return mig


def test_server_without_move_counts_on_its_host_only(session):
    _server(session, "h1")
    assert usage_obj.usage_on_host(session, "h1") == (1, 1, 512, 1)
    assert usage_obj.usage_on_host(session, "h2") == (0, 0, 0, 0)


def test_claimed_move_counts_old_on_source_and_new_on_dest(session):
    inst = _server(session, "h1")
    instance_obj.set_flavors(session, inst.uuid, TINY, None, SMALL)
    _move(session, inst, "h2", [])
    assert usage_obj.usage_on_host(session, "h1") == (1, 1, 512, 1)
    assert usage_obj.usage_on_host(session, "h2") == (1, 1, 2048, 20)


def test_verify_resize_counts_on_both_hosts(session):
    inst = _server(session, "h1")
    instance_obj.set_flavors(session, inst.uuid, SMALL, TINY, SMALL)
    instance_obj.set_fields(session, inst.uuid, host="h2", memory_mb=2048, root_gb=20)
    _move(session, inst, "h2", [M.MIGRATING, M.POST_MIGRATING, M.FINISHED])
    assert usage_obj.usage_on_host(session, "h1") == (1, 1, 512, 1)
    assert usage_obj.usage_on_host(session, "h2") == (1, 1, 2048, 20)


def test_same_host_move_counts_both_flavors_once_per_server(session):
    inst = _server(session, "h1")
    instance_obj.set_flavors(session, inst.uuid, SMALL, TINY, SMALL)
    _move(session, inst, "h1", [M.MIGRATING, M.POST_MIGRATING, M.FINISHED])
    assert usage_obj.usage_on_host(session, "h1") == (1, 2, 2560, 21)


@pytest.mark.parametrize("end", [[M.FINISHED, M.CONFIRMING, M.CONFIRMED],
                                 [M.FINISHED, M.REVERTING, M.REVERTED], [M.ERROR]])
def test_settled_move_counts_only_where_the_server_is(session, end):
    inst = _server(session, "h2", SMALL)
    _move(session, inst, "h2", [M.MIGRATING, M.POST_MIGRATING, *end]
          if end != [M.ERROR] else end)
    assert usage_obj.usage_on_host(session, "h2") == (1, 1, 2048, 20)
    assert usage_obj.usage_on_host(session, "h1") == (0, 0, 0, 0)

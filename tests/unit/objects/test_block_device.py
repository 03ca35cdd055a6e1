"""Block device mappings: from a create request to rows, lookups, updates and detach."""

import uuid as uuidlib

import pytest

from cirrus import exception
from cirrus.db.engine import EngineRegistry
from cirrus.db.migration import upgrade
from cirrus.objects import block_device as bdm_obj
from cirrus.objects import instance as instance_obj
from cirrus.objects.flavor_spec import FlavorSpec

TINY = FlavorSpec(id=1, flavorid="1", name="m1.tiny", memory_mb=512, vcpus=1, root_gb=1,
                  ephemeral_gb=0, swap=0)
IMAGE = "155d900f-4e14-4e4c-a73d-069cbf4541e6"
VOLUME = "3f1b7c1e-2d6a-4c55-9a6e-6a1f0d2b9c11"


@pytest.fixture
def session(tmp_path):
    engines = EngineRegistry()
    url = f"sqlite:///{tmp_path / 'cell.db'}"
    upgrade("cell", engines.engine(url))
    with engines.session(url) as sess:
        yield sess
    engines.dispose()


@pytest.fixture
def server(session):
    values = {"uuid": str(uuidlib.uuid4()), "vm_state": "active", "project_id": "p",
              "user_id": "u", "instance_type_id": 1}
    return instance_obj.create(session, values, TINY)


def test_image_to_volume_item_becomes_a_root_mapping_without_a_volume_yet(server):
    values = bdm_obj.values_from_request(server.uuid, {
        "source_type": "image", "destination_type": "volume", "boot_index": "0",
        "uuid": IMAGE, "volume_size": "3", "delete_on_termination": "true"})
    assert {k: values[k] for k in ("source_type", "boot_index", "image_id", "volume_id",
                                   "volume_size", "delete_on_termination")} == {
        "source_type": "image", "boot_index": 0, "image_id": IMAGE, "volume_id": None,
        "volume_size": 3, "delete_on_termination": True}


def test_volume_item_names_its_volume(server):
    values = bdm_obj.values_from_request(server.uuid, {
        "source_type": "volume", "destination_type": "volume", "uuid": VOLUME,
        "boot_index": None})
    assert (values["volume_id"], values["image_id"], values["boot_index"],
            values["delete_on_termination"]) == (VOLUME, None, None, False)


def test_only_items_ending_in_a_volume_are_kept():
    items = [{"source_type": "image", "destination_type": "local", "boot_index": 0},
             {"source_type": "volume", "destination_type": "volume", "uuid": VOLUME}]
    assert bdm_obj.volume_items(items) == [items[1]]


def test_lookups_updates_and_detach(session, server):
    data = bdm_obj.create(session, bdm_obj.values_from_request(server.uuid, {
        "source_type": "volume", "destination_type": "volume", "uuid": VOLUME,
        "device_name": "/dev/vdb"}))
    root = bdm_obj.create(session, bdm_obj.values_from_request(server.uuid, {
        "source_type": "image", "destination_type": "volume", "boot_index": 0,
        "uuid": IMAGE}))
    # The root comes first, whatever the order of creation.
    assert [b.id for b in bdm_obj.get_by_instance(session, server.uuid)] == [root.id, data.id]
    info = {"driver_volume_type": "iscsi", "data": {"volume_id": VOLUME}}
    updated = bdm_obj.update(session, data.id, attachment_id="a1", connection_info=info)
    assert (updated.attachment_id, updated.connection_info) == ("a1", info)
    assert bdm_obj.get_by_volume(session, server.uuid, VOLUME).attachment_id == "a1"
    with pytest.raises(ValueError, match="instance_uuid"):
        bdm_obj.update(session, data.id, instance_uuid="other")
    assert root.device_name == "/dev/vda"
    assert bdm_obj.next_device_name(bdm_obj.get_by_instance(session, server.uuid)) == (
        "/dev/vdc")
    bdm_obj.destroy(session, data.id)
    bdm_obj.destroy(session, data.id)  # detaching twice is harmless
    assert [b.id for b in bdm_obj.get_by_instance(session, server.uuid)] == [root.id]
    with pytest.raises(exception.VolumeBDMNotFound):
        bdm_obj.get_by_volume(session, server.uuid, VOLUME)

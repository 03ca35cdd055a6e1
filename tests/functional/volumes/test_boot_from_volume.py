"""Boot from volume (image -> volume, and an existing volume) and delete, through the API."""

from tests.functional import helpers
from tests.functional.moves import helpers as mv
from tests.functional.volumes import helpers as vh


def test_boot_from_image_volume_then_delete(cloud, member, admin):
    server_id = vh.boot_from_image_volume(cloud, member, "bfv-image", size=2)
    try:
        body = mv.show(cloud, member, server_id)
        assert body["image"] == ""
        (bdm,) = vh.bdms(cloud, server_id)
        assert (bdm.source_type, bdm.destination_type, bdm.boot_index,
                bdm.delete_on_termination, bdm.volume_size) == ("image", "volume", 0, True, 2)
        assert bdm.connection_info["data"]["volume_id"] == bdm.volume_id
        assert body["os-extended-volumes:volumes_attached"] == [
            {"id": bdm.volume_id, "delete_on_termination": True}]
        volume = vh.volumes(cloud, member).get_volume(bdm.volume_id)
        assert (volume.status, volume.size, volume.image_id) == (
            "in-use", 2, vh.image_id(member))
        assert volume.attached_servers == (server_id,)
        assert volume.attachment_ids == (bdm.attachment_id,)
        assert vh.attachments_of(cloud, member, server_id) == {
            bdm.attachment_id: (bdm.volume_id, "attached")}
        host = mv.host_of(admin, server_id)
        # The root disk is the volume: Placement holds no disk for it (Nova's is_bfv).
        assert helpers.allocations(cloud, server_id) == {
            helpers.provider_of(cloud, host): {"VCPU": 1, "MEMORY_MB": 512}}
        mv.check(cloud, server_id)
    finally:
        vh.delete_and_wait(member, server_id)
    assert vh.attachments_of(cloud, member, server_id) == {}
    assert bdm.volume_id not in {v.id for v in vh.volumes(cloud, member).list_volumes()}
    assert helpers.allocations(cloud, server_id) == {}


def test_boot_from_existing_volume_keeps_it_after_delete(cloud, member, admin):
    client = vh.volumes(cloud, member)
    volume = client.create_volume(1, name="root", image_ref=vh.image_id(member))
    resp = vh.boot_from_volume(cloud, member, "bfv-existing", volume.id)
    assert resp.status_code == 202, resp.text
    server_id = resp.json()["server"]["id"]
    try:
        helpers.wait_status(member, server_id, "ACTIVE")
        (bdm,) = vh.bdms(cloud, server_id)
        assert (bdm.volume_id, bdm.source_type, bdm.delete_on_termination) == (
            volume.id, "volume", False)
        assert client.get_volume(volume.id).status == "in-use"
        assert mv.show(cloud, member, server_id)["image"] == ""
        mv.check(cloud, server_id)

        # The volume is held: a second server cannot boot from it.
        again = vh.boot_from_volume(cloud, member, "bfv-taken", volume.id)
        assert again.status_code == 400, again.text
        assert "status must be 'available'" in again.json()["badRequest"]["message"]
    finally:
        vh.delete_and_wait(member, server_id)
    kept = client.get_volume(volume.id)
    assert (kept.status, kept.attachment_ids) == ("available", ())
    client.delete_volume(volume.id)


def test_boot_from_missing_volume_is_a_bad_request(cloud, member):
    missing = "6e1c3c7b-0000-4000-8000-000000000000"
    resp = vh.boot_from_volume(cloud, member, "bfv-missing", missing)
    assert resp.status_code == 400, resp.text
    assert resp.json() == {"badRequest": {
        "code": 400,
        "message": f"Block Device Mapping is Invalid: failed to get volume {missing}."}}

"""Boot from volume and attach a volume with openstacksdk's compute and block-storage."""

from tests.functional import helpers
from tests.functional.volumes import helpers as vh


def test_sdk_boot_from_volume_attach_and_detach(cloud, member):
    image = member.image.find_image("cirros")
    server = member.compute.create_server(
        name="sdk-bfv", flavor_id="1", networks="none",
        block_device_mapping=[{"source_type": "image", "destination_type": "volume",
                               "boot_index": 0, "uuid": image.id, "volume_size": 1,
                               "delete_on_termination": True}])
    server = helpers.wait_status(member, server.id, "ACTIVE")
    try:
        (root,) = server.attached_volumes
        assert member.block_storage.get_volume(root["id"]).status == "in-use"
        data = member.block_storage.create_volume(size=1, name="sdk-data")
        member.block_storage.wait_for_status(data, "available")
        attachment = member.compute.create_volume_attachment(server, volume_id=data.id)
        assert (attachment.volume_id, attachment.server_id) == (data.id, server.id)
        listed = {a.volume_id for a in member.compute.volume_attachments(server)}
        assert listed == {root["id"], data.id}
        assert member.block_storage.get_volume(data.id).status == "in-use"
        member.compute.delete_volume_attachment(server, data.id)
        assert {a.volume_id for a in member.compute.volume_attachments(server)} == {
            root["id"]}
        assert member.block_storage.get_volume(data.id).status == "available"
        member.block_storage.delete_volume(data.id)
    finally:
        vh.delete_and_wait(member, server.id)
    assert vh.attachments_of(cloud, member, server.id) == {}

"""/servers/{id}/os-volume_attachments: attach and detach data volumes, by microversion."""

import pytest

from tests.functional import helpers
from tests.functional.moves import helpers as mv
from tests.functional.volumes import helpers as vh

_VA = "/servers/{}/os-volume_attachments"


@pytest.fixture
def server(cloud, member):
    server = helpers.boot(member, "attach-target")
    helpers.wait_status(member, server.id, "ACTIVE")
    yield server.id
    vh.delete_and_wait(member, server.id)


def _attach(cloud, conn, server_id, volume_id, version="2.90", **extra):
    body = {"volumeAttachment": {"volumeId": volume_id, **extra}}
    return helpers.raw(cloud, conn, "POST", _VA.format(server_id), version=version, json=body)


def test_attach_show_list_detach(cloud, member, server):
    client = vh.volumes(cloud, member)
    volume = client.create_volume(1, name="data")
    resp = _attach(cloud, member, server, volume.id, tag="data",
                   delete_on_termination=True)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"volumeAttachment": {
        "device": "/dev/vdb", "id": volume.id, "serverId": server, "volumeId": volume.id,
        "tag": "data", "delete_on_termination": True}}
    (bdm,) = vh.bdms(cloud, server)
    attached = client.get_volume(volume.id)
    assert (attached.status, attached.attached_servers, attached.attachment_ids) == (
        "in-use", (server,), (bdm.attachment_id,))
    assert bdm.connection_info["data"]["volume_id"] == volume.id

    shown = helpers.raw(cloud, member, "GET", f"{_VA.format(server)}/{volume.id}")
    assert shown.json()["volumeAttachment"] == {
        "device": "/dev/vdb", "serverId": server, "volumeId": volume.id, "tag": "data",
        "delete_on_termination": True, "attachment_id": bdm.attachment_id,
        "bdm_uuid": bdm.uuid}
    old = helpers.raw(cloud, member, "GET", _VA.format(server), version="2.1")
    assert old.json() == {"volumeAttachments": [{
        "device": "/dev/vdb", "id": volume.id, "serverId": server, "volumeId": volume.id}]}
    at_79 = helpers.raw(cloud, member, "GET", _VA.format(server), version="2.79")
    assert at_79.json()["volumeAttachments"][0]["delete_on_termination"] is True
    assert "attachment_id" not in at_79.json()["volumeAttachments"][0]
    assert mv.show(cloud, member, server)["os-extended-volumes:volumes_attached"] == [
        {"id": volume.id, "delete_on_termination": True}]
    mv.check(cloud, server)

    resp = helpers.raw(cloud, member, "DELETE", f"{_VA.format(server)}/{volume.id}")
    assert resp.status_code == 202, resp.text
    assert vh.bdms(cloud, server) == []
    detached = client.get_volume(volume.id)
    assert (detached.status, detached.attachment_ids) == ("available", ())
    assert vh.attachments_of(cloud, member, server) == {}
    mv.check(cloud, server)
    client.delete_volume(volume.id)


def test_attach_errors(cloud, member, admin, server):
    missing = "6e1c3c7b-0000-4000-8000-000000000001"
    resp = _attach(cloud, member, server, missing)
    assert resp.status_code == 404, resp.text
    assert resp.json() == {"itemNotFound": {
        "code": 404, "message": f"Volume {missing} could not be found."}}
    resp = _attach(cloud, member, missing, missing)
    assert resp.status_code == 404
    assert "itemNotFound" in resp.json()
    resp = helpers.raw(cloud, member, "DELETE", f"{_VA.format(server)}/{missing}")
    assert resp.status_code == 404
    assert "itemNotFound" in resp.json()
    # delete_on_termination arrived in 2.79.
    resp = _attach(cloud, member, server, missing, version="2.78",
                   delete_on_termination=True)
    assert resp.status_code == 400
    assert "badRequest" in resp.json()

    client = vh.volumes(cloud, member)
    volume = client.create_volume(1, name="shared")
    other = helpers.boot(member, "attach-other")
    helpers.wait_status(member, other.id, "ACTIVE")
    try:
        assert _attach(cloud, member, other.id, volume.id).status_code == 200
        resp = _attach(cloud, member, server, volume.id)
        assert resp.status_code == 400, resp.text
        assert resp.json()["badRequest"]["message"] == (
            f"Invalid volume: volume {volume.id} status must be 'available'. "
            "Currently in 'in-use'")
        assert vh.attachments_of(cloud, member, server) == {}
    finally:
        vh.delete_and_wait(member, other.id)
    # Attached without delete_on_termination: the volume outlives the server.
    assert client.get_volume(volume.id).status == "available"

    member.compute.stop_server(server)
    helpers.wait_status(member, server, "SHUTOFF")
    assert _attach(cloud, member, server, volume.id).status_code == 200
    assert client.get_volume(volume.id).attached_servers == (server,)
    assert helpers.raw(cloud, member, "DELETE",
                       f"{_VA.format(server)}/{volume.id}").status_code == 202
    client.delete_volume(volume.id)


def test_root_volume_cannot_be_detached(cloud, member):
    server_id = vh.boot_from_image_volume(cloud, member, "bfv-root-detach")
    try:
        (bdm,) = vh.bdms(cloud, server_id)
        resp = helpers.raw(cloud, member, "DELETE",
                           f"{_VA.format(server_id)}/{bdm.volume_id}")
        assert resp.status_code == 400
        assert resp.json() == {"badRequest": {
            "code": 400, "message": "Cannot detach a root device volume"}}
    finally:
        vh.delete_and_wait(member, server_id)

"""Helpers of the volume-backed server tests: boot from volume, read the volume service."""

from cirrus.objects import block_device as bdm_obj
from cirrus.testing.waiters import wait_for
from tests.functional import helpers


def volumes(cloud, conn):
    """The volume client of the connection's project, with the service's token."""
    return cloud.runtime.volume_for(conn.current_project_id)


def image_id(conn, name="cirros"):
    return conn.image.find_image(name).id


def boot_from_image_volume(cloud, conn, name, flavor="1", size=1, zone=None,
                           delete_on_termination=True):
    """POST /servers with an image -> volume root; returns the server id (ACTIVE)."""
    bdm = {"source_type": "image", "destination_type": "volume", "boot_index": 0,
           "uuid": image_id(conn), "volume_size": size,
           "delete_on_termination": delete_on_termination}
    return _boot(cloud, conn, name, flavor, bdm, zone)


def boot_from_volume(cloud, conn, name, volume_id, flavor="1", zone=None,
                     delete_on_termination=False):
    """POST /servers with an existing volume as root; returns the raw response."""
    bdm = {"source_type": "volume", "destination_type": "volume", "boot_index": 0,
           "uuid": volume_id, "delete_on_termination": delete_on_termination}
    return _post(cloud, conn, name, flavor, bdm, zone)


def _post(cloud, conn, name, flavor, bdm, zone):
    body = {"name": name, "flavorRef": flavor, "networks": "none",
            "block_device_mapping_v2": [bdm]}
    if zone:
        body["availability_zone"] = zone
    return helpers.raw(cloud, conn, "POST", "/servers", json={"server": body})


def _boot(cloud, conn, name, flavor, bdm, zone):
    resp = _post(cloud, conn, name, flavor, bdm, zone)
    assert resp.status_code == 202, resp.text
    server_id = resp.json()["server"]["id"]
    helpers.wait_status(conn, server_id, "ACTIVE")
    return server_id


def bdms(cloud, server_id):
    """The live block device mappings of a server, in the cell it is mapped to."""
    with cloud.runtime.cell_session(helpers.cell_of(cloud, server_id)) as s:
        return bdm_obj.get_by_instance(s, server_id)


def attachments_of(cloud, conn, server_id):
    """{attachment id: (volume id, status)} the volume service holds for the server."""
    return {a.id: (a.volume_id, a.status)
            for a in volumes(cloud, conn).list_attachments(instance_id=server_id)}


def wait_volume_status(cloud, conn, volume_id, status, timeout=30.0):
    def _check():
        volume = volumes(cloud, conn).get_volume(volume_id)
        return volume if volume.status == status else None

    return wait_for(_check, timeout, what=f"volume {volume_id} {status}")


def delete_and_wait(conn, server_id):
    conn.compute.delete_server(server_id)
    helpers.wait_gone(conn, server_id)

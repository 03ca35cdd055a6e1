"""Scenario helpers shared by functional tests."""

import httpx

from cirrus.objects import instance_mapping as im_obj
from cirrus.testing.waiters import wait_for


def wait_status(conn, server_id, status, timeout=30.0):
    """Poll the server until it has ``status`` and no task state."""
    def _check():
        server = conn.compute.get_server(server_id)
        return server if server.status == status and not server.task_state else None

    return wait_for(_check, timeout, what=f"server {server_id} {status}")


def wait_gone(conn, server_id, timeout=30.0):
    """Poll until GET /servers/{id} is 404."""
    from openstack import exceptions

    def _check():
        try:
            conn.compute.get_server(server_id)
        except exceptions.NotFoundException:
            return True
        return False

    wait_for(_check, timeout, what=f"server {server_id} deleted")


def mapping(cloud, uuid):
    with cloud.runtime.api_session() as s:
        return im_obj.get(s, uuid)


def cell_of(cloud, uuid):
    m = mapping(cloud, uuid)
    return cloud.runtime.cell_by_id(m.cell_id) if m.cell_id else None


def allocations(cloud, consumer):
    return cloud.runtime.placement.get_allocations(consumer)[0]


def provider_of(cloud, host):
    return cloud.computes[host].tracker.node().uuid


def raw(cloud, conn, method, path, version="2.90", **kwargs):
    """A compute API request with the connection's token; returns the httpx response."""
    headers = {"X-Auth-Token": conn.session.get_token(),
               "OpenStack-API-Version": f"compute {version}",
               **kwargs.pop("headers", {})}
    if version is None:
        headers.pop("OpenStack-API-Version")
    url = f"{cloud.base_url}/compute/v2.1{path}"
    return httpx.request(method, url, headers=headers, timeout=30, **kwargs)


def boot(conn, name, flavor="1", zone=None, image="cirros", networks="none"):
    image_obj = conn.image.find_image(image)
    kwargs = {"name": name, "flavor_id": flavor, "image_id": image_obj.id,
              "networks": networks}
    if zone:
        kwargs["availability_zone"] = zone
    return conn.compute.create_server(**kwargs)


def wait_for_any(conn, server_id, statuses, timeout=60.0):
    """Poll until the server reaches one of ``statuses`` with no task state."""
    def _check():
        server = conn.compute.get_server(server_id)
        return server if server.status in statuses and not server.task_state else None

    return wait_for(_check, timeout, what=f"server {server_id} in {statuses}")

"""Helpers of the QoS port tests: a physnet network, ports with bandwidth requests, and
where Placement and the network service say their bandwidth is."""

import contextlib

from cirrus.compute import bandwidth
from cirrus.network import resource_request as rr
from tests.functional import helpers
from tests.functional.moves import helpers as mv


def bw(kbps):
    """A legacy resource request of ``kbps`` each way (traits from the network)."""
    return {"resources": {rr.NET_BW_EGR: kbps, rr.NET_BW_IGR: kbps}}


def bw_provider(cloud, host, physnet="public"):
    """The bandwidth provider of ``host`` for ``physnet``."""
    return bandwidth.provider_uuid(helpers.provider_of(cloud, host), physnet)


def amounts(kbps):
    return {rr.NET_BW_EGR: kbps, rr.NET_BW_IGR: kbps}


def held(cloud, admin, host, flavor_id, kbps):
    """What a server of ``flavor_id`` with ``kbps`` of ports holds on ``host``."""
    return {helpers.provider_of(cloud, host): mv.resources(cloud, admin, flavor_id),
            bw_provider(cloud, host): amounts(kbps)}


@contextlib.contextmanager
def physnet_network(cloud, name="qos-net"):
    """A shared network on physnet ``public``, deleted afterwards."""
    network = cloud.runtime.network
    net = network.create_network(name, shared=True, physical_network="public")
    try:
        yield net
    finally:
        for port in network.list_ports(network_id=net.id):
            network.delete_port(port.id)
        network.delete_network(net.id)


def qos_port(cloud, conn, net, request):
    """A port of the caller's project with ``request`` (made by an admin, as Neutron's
    QoS policy would be attached)."""
    return cloud.runtime.network.create_port(
        net.id, resource_request=request, project_id=conn.current_project_id)


def boot_with_ports(conn, name, ports, flavor="1", zone=None):
    return helpers.boot(conn, name, flavor=flavor, zone=zone,
                        networks=[{"port": p.id} for p in ports])


def profile_allocation(cloud, port_id, host=None):
    """The ``allocation`` of the port's binding for ``host`` (its active one if None)."""
    network = cloud.runtime.network
    if host is None:
        return network.get_port(port_id).profile.get("allocation")
    return network.get_binding(port_id, host).profile.get("allocation")


@contextlib.contextmanager
def qos_server(cloud, conn, admin, name, ports, flavor="1", zone=None):
    """An ACTIVE server with ``ports``, checked; deleted and checked afterwards."""
    created = boot_with_ports(conn, name, ports, flavor=flavor, zone=zone)
    try:
        helpers.wait_status(conn, created.id, "ACTIVE")
        mv.check(cloud, created.id)
        yield created
    except BaseException:
        mv.scrub(cloud, conn, created.id)
        raise
    mv.delete_and_check(cloud, conn, admin, created.id)

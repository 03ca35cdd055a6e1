"""The typed clients other Cirrus services use, against the real apps in one process."""

import io
import uuid

import httpx
import pytest

from cirrus import exception
from cirrus.image.client import ImageClient
from cirrus.network.client import NetworkClient
from cirrus.volume.client import VolumeClient
from cirrus.wsgi.server import inprocess_client


@pytest.fixture
def images(mounts, service_token):
    with inprocess_client(mounts, "http://cirrus.test/image") as http:
        yield ImageClient(http, service_token)


@pytest.fixture
def network(mounts, service_token):
    with inprocess_client(mounts, "http://cirrus.test/network") as http:
        yield NetworkClient(http, service_token)


@pytest.fixture
def volumes(mounts, service_token):
    with inprocess_client(mounts, "http://cirrus.test/volume") as http:
        yield VolumeClient(http, service_token)


def test_image_client_round_trip(images):
    image = images.create_image(name="snap", owner="demo", properties={"source": "vm-1"},
                                tags=["snapshot"])
    assert (image.status, image.owner, image.properties, image.tags) == (
        "queued", "demo", {"source": "vm-1"}, ("snapshot",))
    data = b"disk-bytes" * 50000
    images.upload_data(image.id, io.BytesIO(data), size=len(data))
    shown = images.get_image(image.id)
    assert (shown.status, shown.size, shown.os_hash_algo) == ("active", len(data), "sha256")
    out = io.BytesIO()
    assert images.download_data(image.id, out) == len(data)
    assert out.getvalue() == data
    updated = images.update_image(image.id, {"name": "renamed", "a/b": "c"}, remove=["source"])
    assert (updated.name, updated.properties) == ("renamed", {"a/b": "c"})
    images.delete_image(image.id)
    with pytest.raises(exception.ImageNotFound):
        images.get_image(image.id)
    with pytest.raises(exception.ImageNotFound):
        images.delete_image(image.id)


def test_image_client_streams_iterables_and_follows_pages(images):
    ids = [images.create_image(name=f"i{i}").id for i in range(5)]
    images.upload_data(ids[0], iter([b"a" * 10, b"b" * 10]))
    assert images.get_image(ids[0]).size == 20
    found = images.list_images(page_size=2)
    assert sorted(i.id for i in found) == sorted(ids)
    assert [i.name for i in images.list_images(ids=ids[:2], page_size=1)] in (
        ["i1", "i0"], ["i0", "i1"])
    assert images.list_images(name="i3")[0].id == ids[3]
    assert images.list_images(status="active")[0].id == ids[0]


def test_image_client_errors(images):
    image_id = str(uuid.uuid4())
    images.create_image(name="x", image_id=image_id)
    with pytest.raises(exception.ImageExists):
        images.create_image(name="x", image_id=image_id)
    with pytest.raises(exception.ImageNotFound):
        images.get_image("cirros")
    with pytest.raises(exception.Conflict):
        images.update_image(image_id, remove=["nope"])
    with pytest.raises(exception.Invalid):
        images.create_image(name="x", disk_format="floppy")
    images.upload_data(image_id, b"x")
    with pytest.raises(exception.Conflict):
        images.upload_data(image_id, b"x")
    assert images.download_data(images.create_image(name="empty").id, io.BytesIO()) == 0


def test_clients_report_bad_tokens_and_unreachable_services(mounts):
    with (inprocess_client(mounts, "http://cirrus.test/image") as http,
          pytest.raises(exception.Unauthorized)):
        ImageClient(http, lambda: "forged.token").get_image(str(uuid.uuid4()))

    def refuse(request):
        raise httpx.ConnectError("refused", request=request)

    calls = [
        lambda http: ImageClient(http, lambda: "t").get_image("x"),
        lambda http: NetworkClient(http, lambda: "t").get_port("x"),
        lambda http: VolumeClient(http, lambda: "t").get_volume("x"),
    ]
    with httpx.Client(transport=httpx.MockTransport(refuse), base_url="http://down") as http:
        for call in calls:
            with pytest.raises(exception.ServiceUnavailable):
                call(http)


def test_network_client_bindings(network):
    assert network.has_extension("binding-extended")
    net = network.create_network("private", project_id="demo")
    assert network.list_networks(name="private") == [net]
    port = network.create_port(net.id, device_id="vm-1", device_owner="compute:nova",
                               host_id="src", project_id="demo",
                               resource_request={"resources": {"NET_BW_EGR_KILOBIT_PER_SEC": 10}})
    assert (port.host_id, port.status, port.project_id) == ("src", "ACTIVE", "demo")
    assert port.fixed_ips[0].ip_address == "10.0.0.2"
    assert network.list_ports(device_id="vm-1") == [port]
    assert network.list_ports(host_id="src") == [port]
    dest = network.create_binding(port.id, "dest", profile={"allocation": "rp"})
    assert dest.status == "INACTIVE"
    with pytest.raises(exception.PortBindingAlreadyExists):
        network.create_binding(port.id, "dest")
    assert network.activate_binding(port.id, "dest").status == "ACTIVE"
    with pytest.raises(exception.PortBindingAlreadyActive):
        network.activate_binding(port.id, "dest")
    assert network.get_binding(port.id, "src").status == "INACTIVE"
    assert network.get_port(port.id).host_id == "dest"
    network.delete_binding(port.id, "src")
    with pytest.raises(exception.PortBindingNotFound) as caught:
        network.get_binding(port.id, "src")
    assert caught.value.kwargs == {"port_id": port.id, "host": "src"}
    assert [b.host for b in network.list_bindings(port.id)] == ["dest"]
    moved = network.update_port(port.id, host_id="src", profile={}, device_owner="compute:x")
    assert (moved.host_id, moved.profile, moved.device_owner) == ("src", {}, "compute:x")
    assert network.update_port(port.id, host_id="").host_id == ""
    with pytest.raises(exception.NetworkInUse):
        network.delete_network(net.id)
    network.delete_port(port.id)
    with pytest.raises(exception.PortNotFound):
        network.get_port(port.id)
    with pytest.raises(exception.PortNotFound):
        network.list_bindings(port.id)
    network.delete_network(net.id)
    with pytest.raises(exception.NetworkNotFound):
        network.get_network(net.id)


def test_volume_client_attachment_flow(volumes):
    volume = volumes.create_volume(1, name="data", image_ref=str(uuid.uuid4()))
    assert (volume.status, volume.bootable, volume.project_id) == ("available", True, "service")
    server = str(uuid.uuid4())
    reserved = volumes.create_attachment(volume.id, server)
    assert reserved.status == "reserved"
    connected = volumes.update_attachment(reserved.id, {"host": "cell1-host1"})
    assert connected.status == "attaching"
    assert connected.connection_info["driver_volume_type"] == "iscsi"
    volumes.complete_attachment(reserved.id)
    shown = volumes.get_volume(volume.id)
    assert (shown.status, shown.attached_servers, shown.attachment_ids) == (
        "in-use", (server,), (reserved.id,))
    assert [a.id for a in volumes.list_attachments(instance_id=server)] == [reserved.id]
    assert volumes.get_attachment(reserved.id).status == "attached"
    with pytest.raises(exception.InvalidVolume):
        volumes.create_attachment(volume.id, str(uuid.uuid4()))
    with pytest.raises(exception.InvalidVolume):
        volumes.delete_volume(volume.id)
    volumes.delete_attachment(reserved.id)
    with pytest.raises(exception.AttachmentNotFound):
        volumes.get_attachment(reserved.id)
    assert volumes.get_volume(volume.id).status == "available"
    assert [v.id for v in volumes.list_volumes()] == [volume.id]
    volumes.delete_volume(volume.id)
    with pytest.raises(exception.VolumeNotFound):
        volumes.get_volume(volume.id)
    with pytest.raises(exception.VolumeNotFound):
        volumes.create_attachment(volume.id, server)

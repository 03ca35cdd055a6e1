"""The API's view of the global services: images and networks a request names."""

from typing import Any

from cirrus import exception
from cirrus.api.common import APIState
from cirrus.context import RequestContext
from cirrus.network import resource_request
from cirrus.objects.request_spec import ImageMeta, RequestGroup

_VISIBLE = ("public", "community", "shared")


def get_image(state: APIState, image_ref: str) -> ImageMeta:
    """The image a server boots from; raises Invalid (400) when unknown."""
    image_id = image_ref.rstrip("/").rsplit("/", 1)[-1]
    try:
        image = state.runtime.image.get_image(image_id)
    except exception.NotFound:
        raise exception.Invalid(f"Image {image_ref} could not be found.") from None
    return ImageMeta(id=image.id, name=image.name, min_ram=image.min_ram,
                     min_disk=image.min_disk, size=image.size or 0,
                     properties=dict(image.properties), status=image.status)


def check_networks(state: APIState, ctx: RequestContext, networks: Any) -> Any:
    """Validate requested networks and ports; returns what the compute should wire up."""
    if networks is None or networks in ("none", "auto"):
        if networks == "auto":
            return _auto_network(state, ctx)
        return []
    out = []
    client = state.runtime.network
    for item in networks:
        if item.get("port"):
            try:
                port = client.get_port(item["port"])
            except exception.NotFound:
                raise exception.Invalid(f"Port id {item['port']} could not be found.") from None
            if port.device_id:
                raise exception.Conflict(f"Port {item['port']} is still in use.")
            out.append({"port_id": port.id, "network_id": port.network_id})
            continue
        try:
            net = client.get_network(item["uuid"])
        except exception.NotFound:
            raise exception.Invalid(f"Network {item['uuid']} could not be found.") from None
        if not (net.shared or ctx.is_admin or net.project_id == ctx.project_id):
            raise exception.Invalid(f"Network {item['uuid']} could not be found.")
        out.append({"network_id": net.id, "fixed_ip": item.get("fixed_ip")})
    return out


def port_request_groups(state: APIState, requested: list[dict[str, Any]]
                        ) -> tuple[tuple[RequestGroup, ...], tuple[tuple[str, ...], ...]]:
    """The request groups (and same-subtree ids) of the given ports a server boots with.

    Ports the compute creates on a network request nothing; as in Nova, only ports made
    beforehand (with their QoS policy) carry a resource request.
    """
    client = state.runtime.network
    ports = [client.get_port(item["port_id"]) for item in requested if item.get("port_id")]
    return resource_request.groups_of_ports(ports)


def _auto_network(state: APIState, ctx: RequestContext) -> list[dict[str, Any]]:
    nets = [n for n in state.runtime.network.list_networks()
            if n.shared or n.project_id == ctx.project_id]
    if not nets:
        raise exception.Invalid("Unable to automatically allocate a network for project "
                                f"{ctx.project_id}")
    return [{"network_id": nets[0].id}]

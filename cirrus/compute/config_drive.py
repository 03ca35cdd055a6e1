"""The config drive: what a guest reads about itself at boot, in the OpenStack layout.

A drive is built from the server's records each time a host creates the guest (boot, the
destination of a move, the source of a revert), so it describes the server as it is on
that host. The personality files are part of those records (Nova keeps them nowhere and
a move loses them); a moved server's drive carries the same files, user data, metadata
and keys as before.
"""

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any

from cirrus.objects.instance import Instance

LATEST = "openstack/latest"
CONTENT = "openstack/content"

Drive = tuple[tuple[str, bytes], ...]


def required_by(inst: Instance, force: bool) -> bool:
    """Whether the guest gets a drive: asked for, forced by the host, or the image's rule
    (``img_config_drive=mandatory``, kept in system metadata at boot)."""
    return (str(inst.config_drive or "").lower() in ("true", "1", "yes") or force
            or inst.system_metadata.get("image_img_config_drive") == "mandatory")


def build(inst: Instance, files: Sequence[tuple[str, bytes]]) -> Drive:
    """The drive's files, path -> bytes, in a stable order."""
    out = [(f"{LATEST}/meta_data.json", _json(_meta_data(inst, files))),
           (f"{LATEST}/network_data.json", _json(_network_data(inst.network_info))),
           (f"{LATEST}/vendor_data.json", b"{}")]
    if inst.user_data:
        out.append((f"{LATEST}/user_data", base64.b64decode(inst.user_data)))
    out.extend((f"{CONTENT}/{index:04d}", data) for index, (_, data) in enumerate(files))
    return tuple(out)


def _json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True).encode("utf-8")


def _meta_data(inst: Instance, files: Sequence[tuple[str, bytes]]) -> dict[str, Any]:
    keys = ({inst.key_name: inst.key_data} if inst.key_name and inst.key_data else {})
    return {
        "uuid": inst.uuid, "name": inst.display_name, "hostname": inst.hostname,
        "launch_index": inst.launch_index or 0,
        "availability_zone": inst.availability_zone, "project_id": inst.project_id,
        "meta": dict(inst.metadata),
        "public_keys": keys,
        "keys": [{"name": name, "type": "ssh", "data": data} for name, data in keys.items()],
        "files": [{"path": path, "content_path": f"/content/{index:04d}"}
                  for index, (path, _) in enumerate(files)],
        "devices": [],
    }


def _network_data(network_info: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    links: list[dict[str, Any]] = []
    networks: list[dict[str, Any]] = []
    for vif in network_info:
        link = f"tap{str(vif['id'])[:11]}"
        links.append({"id": link, "vif_id": vif["id"], "type": vif.get("type", "ovs"),
                      "ethernet_mac_address": vif.get("address"),
                      "mtu": (vif.get("network") or {}).get("mtu")})
        for ip in vif.get("fixed_ips") or ():
            networks.append({"id": f"network{len(networks)}", "link": link,
                             "network_id": (vif.get("network") or {}).get("id"),
                             "type": "ipv6_dhcp" if ":" in ip["ip_address"] else "ipv4_dhcp",
                             "ip_address": ip["ip_address"]})
    return {"links": links, "networks": networks, "services": []}


def files_of(drive: Drive | None) -> dict[str, bytes]:
    """A drive as a dict (for a driver that writes it out, and for tests)."""
    return dict(drive or ())

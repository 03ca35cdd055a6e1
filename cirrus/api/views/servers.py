"""Server bodies by microversion, field for field as Nova writes them (up to 2.90)."""

import dataclasses
import hashlib
from typing import Any

import falcon

from cirrus.api.common import base_url, links
from cirrus.api.microversion import Version
from cirrus.api.views.timeutils import isotime, rawtime
from cirrus.objects.instance import Instance
from cirrus.objects.states import status_from_state

_PROGRESS_STATUSES = frozenset({"ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE",
                                "MIGRATING"})


@dataclasses.dataclass(frozen=True)
class ViewOptions:
    """What the caller may see, decided once per request from policy."""

    version: Version
    extended_attributes: bool
    """os_compute_api:os-extended-server-attributes passed."""
    host_status: bool
    """os_compute_api:servers:show:host_status passed (2.16+)."""
    flavor_extra_specs: bool
    is_admin: bool
    instance_name_template: str = "instance-%08x"


def host_id(project_id: str | None, host: str | None) -> str:
    """Nova's opaque host id: sha224 of project and host, empty without a host."""
    if not host:
        return ""
    return hashlib.sha224(f"{project_id or ''}{host}".encode()).hexdigest()


def _bookmark(req: falcon.Request, collection: str, item_id: str) -> list[dict[str, str]]:
    return [{"rel": "bookmark", "href": f"{base_url(req)}/{collection}/{item_id}"}]


def _image(req: falcon.Request, inst: Instance) -> Any:
    if not inst.image_ref:
        return ""
    return {"id": inst.image_ref, "links": _bookmark(req, "images", inst.image_ref)}


def _flavor(req: falcon.Request, inst: Instance, opts: ViewOptions) -> dict[str, Any]:
    flavor = inst.flavor
    if flavor is None:
        return {}
    if not opts.version.matches((2, 47)):
        return {"id": flavor.flavorid, "links": _bookmark(req, "flavors", flavor.flavorid)}
    body: dict[str, Any] = {
        "vcpus": flavor.vcpus, "ram": flavor.memory_mb, "disk": flavor.root_gb,
        "ephemeral": flavor.ephemeral_gb, "swap": flavor.swap,
        "original_name": flavor.name,
    }
    if opts.flavor_extra_specs:
        body["extra_specs"] = dict(flavor.extra_specs)
    return body


def _addresses(inst: Instance) -> dict[str, list[dict[str, Any]]]:
    if inst.vm_state == "building":
        return {}
    out: dict[str, list[dict[str, Any]]] = {}
    for vif in inst.network_info:
        label = vif.get("network", {}).get("label") or vif.get("network_name") or "network"
        entries = out.setdefault(label, [])
        for ip in vif.get("fixed_ips", []):
            addr = ip.get("ip_address") or ip.get("address")
            entries.append({
                "version": 6 if ":" in str(addr) else 4, "addr": addr,
                "OS-EXT-IPS:type": "fixed", "OS-EXT-IPS-MAC:mac_addr": vif.get("address"),
            })
    return out


def _fault(inst: Instance, opts: ViewOptions) -> dict[str, Any] | None:
    if inst.fault is None:
        return None
    fault = {"code": inst.fault["code"], "created": isotime(inst.fault["created"]),
             "message": inst.fault["message"]}
    details = inst.fault.get("details")
    if details and (opts.is_admin or inst.fault["code"] != 500):
        fault["details"] = details
    return fault


def _volumes(inst: Instance, opts: ViewOptions) -> list[dict[str, Any]]:
    if opts.version.matches((2, 3)):
        return [{"id": vid, "delete_on_termination": dot} for vid, dot in inst.volumes]
    return [{"id": vid} for vid, _ in inst.volumes]


def _extended(inst: Instance, opts: ViewOptions, is_build_request: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "OS-EXT-SRV-ATTR:host": inst.host,
        "OS-EXT-SRV-ATTR:instance_name": (
            "" if is_build_request else opts.instance_name_template % inst.id),
        "OS-EXT-SRV-ATTR:hypervisor_hostname": inst.node,
    }
    if opts.version.matches((2, 3)):
        body.update({
            "OS-EXT-SRV-ATTR:hostname": inst.hostname,
            "OS-EXT-SRV-ATTR:kernel_id": inst.kernel_id or "",
            "OS-EXT-SRV-ATTR:launch_index": inst.launch_index or 0,
            "OS-EXT-SRV-ATTR:ramdisk_id": inst.ramdisk_id or "",
            "OS-EXT-SRV-ATTR:reservation_id": inst.reservation_id,
            "OS-EXT-SRV-ATTR:root_device_name": inst.root_device_name,
            "OS-EXT-SRV-ATTR:user_data": inst.user_data,
        })
    return body


def _security_groups(inst: Instance) -> list[dict[str, str]] | None:
    groups = [{"name": g} for vif in inst.network_info for g in vif.get("security_groups", [])]
    return groups or None


def show(req: falcon.Request, inst: Instance, opts: ViewOptions, *, in_list: bool = False,
         host_status: str = "", server_groups: list[str] | None = None,
         is_build_request: bool = False) -> dict[str, Any]:
    """The full server body (GET /servers/{id} and each item of /servers/detail)."""
    status = status_from_state(inst.vm_state, inst.task_state)
    body: dict[str, Any] = {
        "id": inst.uuid, "name": inst.display_name or "", "status": status,
        "tenant_id": inst.project_id or "", "user_id": inst.user_id or "",
        "metadata": dict(inst.metadata), "hostId": host_id(inst.project_id, inst.host),
        "image": _image(req, inst), "flavor": _flavor(req, inst, opts),
        "created": isotime(inst.created_at), "updated": isotime(inst.updated_at),
        "addresses": _addresses(inst), "accessIPv4": inst.access_ip_v4 or "",
        "accessIPv6": inst.access_ip_v6 or "", "links": links(req, "servers", inst.uuid),
        "OS-DCF:diskConfig": "AUTO" if inst.auto_disk_config else "MANUAL",
    }
    fault = _fault(inst, opts) if status in ("ERROR", "DELETED") else None
    if fault is not None:
        body["fault"] = fault
    if status in _PROGRESS_STATUSES:
        body["progress"] = inst.progress or 0
    body["OS-EXT-AZ:availability_zone"] = inst.availability_zone or ""
    body["config_drive"] = inst.config_drive or ""
    body["key_name"] = inst.key_name
    body["OS-SRV-USG:launched_at"] = rawtime(inst.launched_at)
    body["OS-SRV-USG:terminated_at"] = rawtime(inst.terminated_at)
    groups = _security_groups(inst)
    if groups is not None:
        body["security_groups"] = groups
    if opts.extended_attributes:
        body.update(_extended(inst, opts, is_build_request))
    body["OS-EXT-STS:task_state"] = inst.task_state
    body["OS-EXT-STS:vm_state"] = inst.vm_state
    body["OS-EXT-STS:power_state"] = inst.power_state
    body["os-extended-volumes:volumes_attached"] = _volumes(inst, opts)
    _add_versioned(body, inst, opts, in_list, host_status, server_groups)
    return body


def _add_versioned(body: dict[str, Any], inst: Instance, opts: ViewOptions, in_list: bool,
                   host_status: str, server_groups: list[str] | None) -> None:
    version = opts.version
    if version.matches((2, 9)):
        body["locked"] = bool(inst.locked)
    if version.matches((2, 16)) and opts.host_status:
        body["host_status"] = host_status
    if version.matches((2, 19)):
        body["description"] = inst.display_description
    if version.matches((2, 26)):
        body["tags"] = list(inst.tags)
    if version.matches((2, 63)):
        body["trusted_image_certificates"] = None
    if version.matches((2, 71)) and not in_list:
        body["server_groups"] = list(server_groups or [])
    if version.matches((2, 73)):
        body["locked_reason"] = inst.system_metadata.get("locked_reason")
    if version.matches((2, 90)) and not opts.extended_attributes:
        body["OS-EXT-SRV-ATTR:hostname"] = inst.hostname


def basic(req: falcon.Request, inst: Instance) -> dict[str, Any]:
    """A list item of GET /servers."""
    return {"id": inst.uuid, "name": inst.display_name or "",
            "links": links(req, "servers", inst.uuid)}


def create_response(req: falcon.Request, uuid: str, admin_pass: str | None,
                    disk_config: str, security_groups: list[dict[str, str]]) -> dict[str, Any]:
    """The 202 body of POST /servers."""
    body: dict[str, Any] = {
        "id": uuid, "links": links(req, "servers", uuid), "OS-DCF:diskConfig": disk_config,
        "security_groups": security_groups or [{"name": "default"}],
    }
    if admin_pass is not None:
        body["adminPass"] = admin_pass
    return {"server": body}

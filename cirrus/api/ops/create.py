"""Create servers: every check the API makes before it casts to the superconductor."""

import base64
import binascii
import dataclasses
import secrets
import uuid as uuidlib
from collections.abc import Sequence
from typing import Any

from cirrus import exception
from cirrus.api.common import APIState
from cirrus.api.ops import external, quotas, server_groups
from cirrus.context import RequestContext
from cirrus.objects import build_request as br_obj
from cirrus.objects import flavor as flavor_obj
from cirrus.objects import instance_mapping as im_obj
from cirrus.objects import quota
from cirrus.objects import request_spec as spec_obj
from cirrus.objects.flavor_spec import FlavorSpec
from cirrus.objects.request_spec import ImageMeta, RequestSpec
from cirrus.objects.states import PowerState, TaskState, VmState
from cirrus.policy.rules import servers as rules


@dataclasses.dataclass(frozen=True)
class CreateRequest:
    """A validated create body."""

    name: str
    flavor_ref: str
    image_ref: str | None
    networks: Any
    availability_zone: str | None = None
    metadata: dict[str, str] = dataclasses.field(default_factory=dict)
    key_name: str | None = None
    user_data: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    config_drive: bool = False
    access_ip_v4: str | None = None
    access_ip_v6: str | None = None
    min_count: int = 1
    max_count: int = 1
    block_devices: tuple[dict[str, Any], ...] = ()
    hints: dict[str, Any] = dataclasses.field(default_factory=dict)
    admin_pass: str | None = None
    disk_config: str = "MANUAL"
    personality: tuple[tuple[str, str], ...] = ()
    """(path, base64 contents) of the files to inject (up to 2.56)."""
    port_resource_requests: bool = True
    """Whether the request's microversion (2.72) allows ports with resource requests."""


def flavor_id_from_ref(ref: str) -> str:
    """``flavorRef`` may be an id or an href ending in the id."""
    return str(ref).rstrip("/").rsplit("/", 1)[-1]


def find_flavor(state: APIState, ctx: RequestContext, ref: str, *,
                allow_disabled: bool = False) -> FlavorSpec:
    """The flavor ``flavorRef`` names, as this caller may use it.

    A private flavor the project has no access to is reported exactly like a missing one,
    so its existence does not leak. Resize allows a disabled flavor here because it only
    refuses one that differs from the server's current flavor.

    Raises:
        Invalid: missing, private without access, or disabled (400).
    """
    flavorid = flavor_id_from_ref(ref)
    with state.runtime.api_reader() as s:
        try:
            flavor = flavor_obj.get_by_flavor_id(s, flavorid)
            allowed = flavor.is_public or ctx.is_admin or (
                ctx.project_id in flavor_obj.projects_of(s, flavorid))
        except exception.FlavorNotFound:
            raise exception.Invalid(f"Flavor {ref} could not be found.") from None
    if (flavor.disabled and not allow_disabled) or not allowed:
        raise exception.Invalid(f"Flavor {ref} could not be found.")
    return flavor


def _boot_volume(req: CreateRequest) -> dict[str, Any] | None:
    for bdm in req.block_devices:
        if str(bdm.get("boot_index", "")) == "0" and bdm.get("destination_type") == "volume":
            return bdm
    return None


def _image(state: APIState, req: CreateRequest, flavor: FlavorSpec,
           ctx: RequestContext) -> ImageMeta:
    image_ref = req.image_ref
    if not image_ref:
        for bdm in req.block_devices:
            if bdm.get("source_type") == "image" and str(bdm.get("boot_index")) == "0":
                image_ref = bdm.get("uuid")
    if not image_ref:
        if _boot_volume(req) is None:
            raise exception.Invalid("Block Device Mapping is Invalid: Boot sequence for the "
                                    "instance and image/block device mapping combination is "
                                    "not valid.")
        return ImageMeta()
    image = external.get_image(state, image_ref)
    if image.status != "active":
        raise exception.Invalid(f"Image {image_ref} is not active.")
    if _boot_volume(req) is None:
        if flavor.memory_mb < image.min_ram:
            raise exception.Invalid("Flavor's memory is too small for requested image.")
        if flavor.root_gb and flavor.root_gb * 1024**3 < image.size:
            raise exception.Invalid("Flavor's disk is too small for requested image.")
        if flavor.root_gb and flavor.root_gb < image.min_disk:
            raise exception.Invalid("Flavor's disk is too small for requested image.")
        if flavor.root_gb == 0 and not state.policy.check(
                ctx, rules.CREATE_ZERO_DISK_FLAVOR, {"project_id": ctx.project_id}):
            raise exception.Forbidden("Only volume-backed servers are allowed for flavors "
                                      "with zero disk.")
    return image


def _check_volumes(state: APIState, ctx: RequestContext, req: CreateRequest) -> None:
    """Existing volumes must be the caller's and available, as Nova checks before casting.

    Raises:
        Invalid: a volume is missing or not available (400).
    """
    client = state.runtime.volume_for(ctx.project_id or "")
    for item in req.block_devices:
        if item.get("source_type") != "volume":
            continue
        volume_id = str(item.get("uuid") or "")
        try:
            volume = client.get_volume(volume_id)
        except exception.NotFound:
            raise exception.Invalid("Block Device Mapping is Invalid: failed to get volume "
                                    f"{volume_id}.") from None
        if volume.status != "available":
            raise exception.InvalidVolume(
                reason=f"volume '{volume_id}' status must be 'available'. Currently in "
                f"'{volume.status}'")


def _forced_host(state: APIState, ctx: RequestContext, zone: str | None) -> tuple[str, ...]:
    """``zone:host`` (or ``zone:host:node``) pins a server to a host, for admins only."""
    parts = (zone or "").split(":")
    if len(parts) < 2 or not parts[1]:
        return ()
    state.policy.authorize(ctx, rules.CREATE_FORCED_HOST, {"project_id": ctx.project_id})
    return (parts[1],)


def _check_zone(state: APIState, zone: str | None) -> str | None:
    if not zone:
        default: str | None = state.runtime.conf.default_schedule_zone
        return default
    zone_name = zone.split(":", 1)[0]
    if not zone_name:
        return None
    zones = {a.availability_zone for a in state.runtime.aggregates() if a.availability_zone}
    zones.add(state.runtime.conf.default_availability_zone)
    if zone_name not in zones:
        raise exception.Invalid("The requested availability zone is not available")
    return zone_name


def _check_quota(state: APIState, ctx: RequestContext, flavor: FlavorSpec,
                 count: int) -> None:
    quotas.check_deltas(state, ctx, ctx.project_id or "", {
        "instances": count, "cores": flavor.vcpus * count, "ram": flavor.memory_mb * count})


def _keypair(state: APIState, ctx: RequestContext, name: str | None) -> dict[str, Any] | None:
    if not name:
        return None
    from cirrus.objects import keypair as keypair_obj

    with state.runtime.api_reader() as s:
        try:
            found: dict[str, Any] = keypair_obj.get(s, ctx.user_id or "", name).to_dict()
            return found
        except exception.KeypairNotFound:
            raise exception.Invalid("Invalid key_name provided.") from None


def _check_user_data(data: str | None) -> None:
    if data is None:
        return
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise exception.Invalid("User data needs to be valid base 64.") from None


def _check_personality(state: APIState, ctx: RequestContext,
                       files: Sequence[tuple[str, str]]) -> None:
    """The project's injected-file limits, as Nova checks them (on decoded contents)."""
    if not files:
        return
    with state.runtime.api_reader() as s:
        limits = quota.limits_for(s, ctx.project_id or "")

    def over(resource: str, value: int) -> bool:
        allowed = limits[resource]
        return 0 <= allowed < value

    if over("injected_files", len(files)):
        raise exception.OnsetFileLimitExceeded()
    for path, contents in files:
        if over("injected_file_path_bytes", len(path.encode("utf-8"))):
            raise exception.OnsetFilePathLimitExceeded(
                allowed=limits["injected_file_path_bytes"])
        if over("injected_file_content_bytes",
                len(base64.decodebytes(contents.encode("utf-8")))):
            raise exception.OnsetFileContentLimitExceeded(
                allowed=limits["injected_file_content_bytes"])


def create_servers(state: APIState, ctx: RequestContext,
                   req: CreateRequest) -> list[tuple[str, str]]:
    """Accept a create request; returns (server uuid, admin password) per server.

    Raises:
        Invalid: bad flavor, image, network, zone, key pair, user data or server group
            (400).
        CreateWithPortResourceRequestOldVersion: a port requests resources and the
            microversion is below 2.72 (400).
        QuotaExceeded: over the project's quota (403).
        ServerGroupMembersLimitExceeded: too many servers in the hinted group (403).
    """
    flavor = find_flavor(state, ctx, req.flavor_ref)
    image = _image(state, req, flavor, ctx)
    _check_volumes(state, ctx, req)
    networks = external.check_networks(state, ctx, req.networks)
    port_groups, same_subtree = external.port_request_groups(state, networks)
    if port_groups and not req.port_resource_requests:
        raise exception.CreateWithPortResourceRequestOldVersion()
    zone = _check_zone(state, req.availability_zone)
    forced = _forced_host(state, ctx, req.availability_zone)
    keypair = _keypair(state, ctx, req.key_name)
    _check_user_data(req.user_data)
    _check_personality(state, ctx, req.personality)
    _check_quota(state, ctx, flavor, req.max_count)
    group = server_groups.group_for_boot(state, ctx, req.hints, req.max_count)
    reservation = f"r-{secrets.token_hex(4)}"
    out = []
    for index in range(req.max_count):
        uuid = str(uuidlib.uuid4())
        password = req.admin_pass or secrets.token_urlsafe(9)
        name = req.name if req.max_count == 1 else f"{req.name}-{index + 1}"
        values = _instance_values(ctx, req, uuid, name, flavor, image, zone, keypair,
                                  reservation, index)
        if _boot_volume(req) is not None:
            # As in Nova, a server that boots from a volume has no image of its own; the
            # image's properties stay in its system metadata.
            values["image_ref"] = ""
        spec = RequestSpec(
            instance_uuid=uuid, project_id=ctx.project_id or "", user_id=ctx.user_id or "",
            flavor=flavor, image=image, availability_zone=zone,
            scheduler_hints={k: v if isinstance(v, list) else [v]
                             for k, v in req.hints.items()},
            is_bfv=_boot_volume(req) is not None, force_hosts=forced,
            requested_resources=port_groups, same_subtree=same_subtree,
        )
        with state.runtime.api_session() as s:
            if group is not None:
                # A member from its build request on, so that a server group shows it and
                # the scheduler counts it while it is still being placed.
                spec = spec.replace(instance_group=server_groups.join(s, group, uuid))
            br_obj.create(s, uuid, ctx.project_id or "", values, list(req.block_devices),
                          list(req.tags))
            spec_obj.create(s, spec)
            im_obj.create(s, uuid, ctx.project_id or "", ctx.user_id)
        state.conductor_rpc.schedule_and_build_instances(
            ctx, request_spec=spec.to_dict(), image=dataclasses.asdict(image),
            requested_networks=networks, block_device_mapping=list(req.block_devices))
        out.append((uuid, password))
    return out


def _instance_values(ctx: RequestContext, req: CreateRequest, uuid: str, name: str,
                     flavor: FlavorSpec, image: ImageMeta, zone: str | None,
                     keypair: dict[str, Any] | None, reservation: str,
                     index: int) -> dict[str, Any]:
    sysmeta = {f"image_{k}": str(v) for k, v in image.properties.items()}
    if image.id:
        sysmeta.update({"image_min_ram": str(image.min_ram),
                        "image_min_disk": str(image.min_disk)})
    return {
        "uuid": uuid, "user_id": ctx.user_id, "project_id": ctx.project_id,
        "display_name": name, "display_description": req.description,
        "hostname": _hostname(name), "image_ref": image.id or "",
        "key_name": req.key_name, "key_data": keypair["public_key"] if keypair else None,
        "vm_state": VmState.BUILDING, "task_state": TaskState.SCHEDULING,
        "power_state": PowerState.NOSTATE, "memory_mb": flavor.memory_mb,
        "vcpus": flavor.vcpus, "root_gb": flavor.root_gb, "ephemeral_gb": flavor.ephemeral_gb,
        "instance_type_id": flavor.id, "availability_zone": zone,
        "config_drive": "True" if req.config_drive else "", "reservation_id": reservation,
        "launch_index": index, "user_data": req.user_data, "access_ip_v4": req.access_ip_v4,
        "access_ip_v6": req.access_ip_v6, "auto_disk_config": req.disk_config == "AUTO",
        "metadata": dict(req.metadata), "system_metadata": sysmeta,
        "keypairs": [keypair] if keypair else [], "progress": 0,
        "flavor": flavor.to_dict(), "injected_files": [list(f) for f in req.personality],
    }


def _hostname(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c == "-" else "-" for c in name.lower())
    return cleaned.strip("-")[:63] or "server"

"""/servers/{id}/os-volume_attachments: list, show, attach and detach a server's volumes.

The API reserves the volume (an attachment without a connector) and records the mapping;
the server's compute host then connects and completes it, in one call, so that the
response already shows the volume attached.
"""

from typing import Any

import falcon
import jsonschema

from cirrus import exception
from cirrus.api import common
from cirrus.api.common import APIState, ctx_of, version_of
from cirrus.api.microversion import Version
from cirrus.api.ops import tasks
from cirrus.api.schemas import volume_attachments as schemas
from cirrus.api.schemas.validation import validate, validator
from cirrus.compute import volumes
from cirrus.context import RequestContext
from cirrus.objects import block_device as bdm_obj
from cirrus.objects.block_device import BlockDevice
from cirrus.objects.states import VmState
from cirrus.policy.rules import compute as rules
from cirrus.wsgi.body import read_json

_CREATE: list[tuple[tuple[int, int], jsonschema.Draft4Validator]] = [
    ((2, 79), validator(schemas.CREATE_V2_79)),
    ((2, 49), validator(schemas.CREATE_V2_49)),
    ((2, 1), validator(schemas.CREATE_V2_1))]
# Nova allows more (paused, shelved…); these are the states Cirrus servers rest in.
# As Nova: also while resized (VERIFY_RESIZE); a confirm keeps such a change, a revert
# carries it back to the source.
_ATTACH_STATES = (VmState.ACTIVE, VmState.STOPPED, VmState.RESIZED)


def _serialize(bdm: BlockDevice, version: Version, *,
               created: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"device": bdm.device_name, "serverId": bdm.instance_uuid,
                            "volumeId": bdm.volume_id}
    if created or not version.matches((2, 89)):
        body["id"] = bdm.volume_id
    if version.matches((2, 70)):
        body["tag"] = bdm.tag
    if version.matches((2, 79)):
        body["delete_on_termination"] = bdm.delete_on_termination
    if version.matches((2, 89)) and not created:
        body["attachment_id"] = bdm.attachment_id
        body["bdm_uuid"] = bdm.uuid
    return body


def _locate(state: APIState, ctx: RequestContext, server_id: str,
            rule: str) -> common.Located:
    loc = common.find_server(state, ctx, server_id)
    state.policy.authorize(ctx, rule, {"project_id": loc.mapping.project_id})
    if loc.cell is None or loc.instance is None:
        # Still being scheduled: as in Nova, nothing to list and nothing to act on yet.
        raise exception.InstanceInvalidState(
            method="volume attachment", instance_uuid=server_id, attr="vm_state",
            state=VmState.BUILDING)
    return loc


def _bdms(state: APIState, loc: common.Located) -> list[BlockDevice]:
    assert loc.cell is not None
    with state.runtime.cell_reader(loc.cell) as s:
        return bdm_obj.get_by_instance(s, loc.mapping.instance_uuid)


def list_volume_attachments(state: APIState, req: falcon.Request, resp: falcon.Response,
                            server_id: str) -> None:
    """GET /servers/{id}/os-volume_attachments."""
    ctx = ctx_of(req)
    loc = _locate(state, ctx, server_id, rules.VOLUME_ATTACHMENTS_INDEX)
    version = version_of(req)
    resp.media = {"volumeAttachments": [_serialize(b, version) for b in _bdms(state, loc)]}


def get_volume_attachment(state: APIState, req: falcon.Request, resp: falcon.Response,
                          server_id: str, volume_id: str) -> None:
    """GET /servers/{id}/os-volume_attachments/{volume_id}; 404 when not attached."""
    ctx = ctx_of(req)
    loc = _locate(state, ctx, server_id, rules.VOLUME_ATTACHMENTS_SHOW)
    resp.media = {"volumeAttachment": _serialize(_attached(state, loc, volume_id),
                                                 version_of(req))}


def _attached(state: APIState, loc: common.Located, volume_id: str) -> BlockDevice:
    for bdm in _bdms(state, loc):
        if bdm.volume_id == volume_id:
            return bdm
    raise exception.VolumeBDMNotFound(volume_id=volume_id)


def _reserve(state: APIState, ctx: RequestContext, loc: common.Located,
             params: dict[str, Any]) -> BlockDevice:
    """Reserve the volume and record its mapping; the reservation goes if the record fails.

    Raises:
        VolumeNotFound: the caller has no such volume (404).
        InvalidVolume: the volume is not available (400, as Nova answers).
    """
    client = state.runtime.volume_for(ctx.project_id or "")
    volume_id = params["volumeId"]
    volume = client.get_volume(volume_id)
    if volume.status != "available":
        raise exception.InvalidVolume(
            reason=f"volume {volume_id} status must be 'available'. Currently in "
            f"'{volume.status}'")
    uuid = loc.mapping.instance_uuid
    # The volume service's own refusal (held by another server) is an InvalidVolume too.
    attachment = client.create_attachment(volume_id, uuid)
    try:
        assert loc.cell is not None
        with state.runtime.cell_session(loc.cell) as s:
            device = params.get("device") or bdm_obj.next_device_name(
                bdm_obj.get_by_instance(s, uuid))
            values = bdm_obj.values_from_request(uuid, {
                "source_type": "volume", "destination_type": "volume", "uuid": volume_id,
                "device_name": device, "tag": params.get("tag"),
                "delete_on_termination": params.get("delete_on_termination", False)})
            values["attachment_id"] = attachment.id
            return bdm_obj.create(s, values)
    except Exception:
        volumes.delete_attachment(state.runtime, ctx.project_id or "", attachment.id)
        raise


def create_volume_attachment(state: APIState, req: falcon.Request, resp: falcon.Response,
                             server_id: str) -> None:
    """POST /servers/{id}/os-volume_attachments: 200 with the attachment.

    404 for an unknown server or volume; 409 when the server is not ACTIVE or SHUTOFF
    with no task; 400 when the volume is not available (Nova's InvalidVolume).
    """
    ctx = ctx_of(req)
    version = version_of(req)
    loc = _locate(state, ctx, server_id, rules.VOLUME_ATTACHMENTS_CREATE)
    body = read_json(req)
    validate(next(v for lo, v in _CREATE if version.matches(lo)), body)
    inst = loc.instance
    assert inst is not None and loc.cell is not None
    tasks.check_lock(ctx, inst)
    tasks.check_state(inst, "attach_volume", _ATTACH_STATES)
    bdm = _reserve(state, ctx, loc, body["volumeAttachment"])
    try:
        state.compute_rpc.attach_volume(ctx, loc.cell, inst.host or "",
                                        instance_uuid=inst.uuid, bdm_uuid=bdm.uuid)
    except Exception:
        volumes.disconnect(state.runtime, loc.cell, ctx.project_id or "", inst.uuid,
                           bdm.uuid)
        raise
    resp.media = {"volumeAttachment": _serialize(bdm, version, created=True)}


def delete_volume_attachment(state: APIState, req: falcon.Request, resp: falcon.Response,
                             server_id: str, volume_id: str) -> None:
    """DELETE /servers/{id}/os-volume_attachments/{volume_id}: 202.

    404 when the volume is not attached; 400 for the root volume; 409 in a wrong state.
    """
    ctx = ctx_of(req)
    loc = _locate(state, ctx, server_id, rules.VOLUME_ATTACHMENTS_DELETE)
    inst = loc.instance
    assert inst is not None and loc.cell is not None
    tasks.check_lock(ctx, inst)
    tasks.check_state(inst, "detach_volume", _ATTACH_STATES)
    bdm = _attached(state, loc, volume_id)
    if bdm.is_root:
        raise exception.Invalid("Cannot detach a root device volume")
    state.compute_rpc.detach_volume(ctx, loc.cell, inst.host or "",
                                    instance_uuid=inst.uuid, bdm_uuid=bdm.uuid)
    resp.status = falcon.HTTP_202

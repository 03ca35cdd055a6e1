"""HTTP handlers of the volume API (Cinder v3 shapes): versions, volumes, attachments."""

import urllib.parse
from typing import Any

import falcon

from cirrus.context import RequestContext
from cirrus.db.services import models
from cirrus.volume import attachments, microversion, schemas, volumes
from cirrus.volume.microversion import fmt
from cirrus.wsgi import service_app
from cirrus.wsgi.auth import request_context
from cirrus.wsgi.body import read_json

_UPDATED = "2026-01-01T00:00:00Z"


Services = service_app.Services
_session = service_app.session_of




def _iso(value: Any) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f") if value is not None else None


def _volume_links(req: falcon.Request, row: models.Volume) -> list[dict[str, str]]:
    base = req.forwarded_prefix
    return [
        {"rel": "self", "href": f"{base}/v3/{row.project_id}/volumes/{row.id}"},
        {"rel": "bookmark", "href": f"{base}/{row.project_id}/volumes/{row.id}"},
    ]


def _serialize_volume_attachment(row: models.VolumeAttachment) -> dict[str, Any]:
    connector = row.connector or {}
    return {
        "id": row.volume_id, "attachment_id": row.id, "volume_id": row.volume_id,
        "server_id": row.instance_uuid, "host_name": connector.get("host"),
        "device": connector.get("mountpoint"), "attached_at": _iso(row.attached_at),
    }


def _serialize_volume(req: falcon.Request, row: models.Volume) -> dict[str, Any]:
    version = microversion.requested(req)
    body: dict[str, Any] = {
        "id": row.id, "name": row.name, "description": row.description, "size": row.size,
        "status": row.status, "availability_zone": row.availability_zone,
        "bootable": "true" if row.image_id else "false", "encrypted": False,
        "multiattach": False, "volume_type": row.volume_type, "metadata": row.volume_metadata,
        "attachments": [
            _serialize_volume_attachment(a) for a in row.attachments if a.status == "attached"
        ],
        "links": _volume_links(req, row), "user_id": row.user_id,
        "os-vol-tenant-attr:tenant_id": row.project_id, "snapshot_id": None,
        "source_volid": None, "consistencygroup_id": None, "replication_status": None,
        "migration_status": None, "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
    }
    if row.image_id:
        body["volume_image_metadata"] = {"image_id": row.image_id}
    if version >= microversion.GROUP_ID:
        body["group_id"] = None
    if version >= microversion.PROVIDER_ID:
        body["provider_id"] = None
    if version >= microversion.SHARED_TARGETS:
        body["shared_targets"] = False
        body["service_uuid"] = None
    if version >= microversion.CONSUMES_QUOTA:
        body["consumes_quota"] = True
    return body


def _summarize_attachment(row: models.VolumeAttachment) -> dict[str, Any]:
    return {
        "id": row.id, "status": row.status, "instance": row.instance_uuid,
        "volume_id": row.volume_id,
    }


def _serialize_attachment(row: models.VolumeAttachment) -> dict[str, Any]:
    return {
        **_summarize_attachment(row), "attach_mode": row.attach_mode,
        "connection_info": row.connection_info or {}, "attached_at": _iso(row.attached_at),
        "detached_at": _iso(row.detached_at),
    }


def _version_document(req: falcon.Request) -> dict[str, Any]:
    return {
        "id": "v3.0", "status": "CURRENT", "version": fmt(microversion.MAX_VERSION),
        "min_version": fmt(microversion.MIN_VERSION), "updated": _UPDATED,
        "links": [{"rel": "self", "href": f"{req.forwarded_prefix}/v3/"}],
        "media-types": [{
            "base": "application/json",
            "type": "application/vnd.openstack.volume+json;version=3",
        }],
    }


def get_versions(req: falcon.Request, resp: falcon.Response) -> None:
    """``GET /``: the version document, 300, no token needed."""
    resp.status = falcon.HTTP_300
    resp.media = {"versions": [_version_document(req)]}


def get_version(req: falcon.Request, resp: falcon.Response) -> None:
    """``GET /v3``: the v3 version document, no token needed."""
    resp.media = {"versions": [_version_document(req)]}


def list_volumes(req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
    """``GET /v3/{project_id}/volumes``: id, name and links of each volume."""
    _list_volumes(req, resp, project_id, detail=False)


def list_volumes_detail(req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
    """``GET /v3/{project_id}/volumes/detail``: full volumes.

    Filters: name, status, availability_zone, size, bootable, metadata (JSON); plus
    limit/marker, sort and all_tenants (admin). 400 for others.
    """
    _list_volumes(req, resp, project_id, detail=True)


def _list_volumes(
    req: falcon.Request, resp: falcon.Response, project_id: str, *, detail: bool
) -> None:
    ctx = request_context(req)
    volumes.check_project(ctx, project_id)
    with _session(req) as session:
        rows = volumes.list_volumes(session, ctx, project_id, req.params)
        if detail:
            found = [_serialize_volume(req, r) for r in rows]
        else:
            found = [{"id": r.id, "name": r.name, "links": _volume_links(req, r)} for r in rows]
    body: dict[str, Any] = {"volumes": found}
    if rows and len(rows) == volumes.page_limit(req.params):
        query = [(k, v) for k, v in req.params.items() if k != "marker"]
        query.append(("marker", rows[-1].id))
        suffix = "/detail" if detail else ""
        href = (f"{req.forwarded_prefix}/v3/{project_id}/volumes{suffix}?"
                + urllib.parse.urlencode(query, doseq=True))
        body["volumes_links"] = [{"rel": "next", "href": href}]
    resp.media = body


def create_volume(req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
    """``POST /v3/{project_id}/volumes``: 202 with the volume, available at once."""
    ctx = request_context(req)
    volumes.check_project(ctx, project_id)
    body = read_json(req)
    with _session(req) as session:
        row = volumes.create_volume(session, ctx, project_id, body)
        resp.media = {"volume": _serialize_volume(req, row)}
    resp.status = falcon.HTTP_202


def get_volume(req: falcon.Request, resp: falcon.Response, project_id: str,
               volume_id: str) -> None:
    """``GET /v3/{project_id}/volumes/{id}``: 200, or 404."""
    ctx = request_context(req)
    volumes.check_project(ctx, project_id)
    with _session(req) as session:
        row = volumes.get_volume(session, ctx, volume_id)
        resp.media = {"volume": _serialize_volume(req, row)}


def delete_volume(req: falcon.Request, resp: falcon.Response, project_id: str,
                  volume_id: str) -> None:
    """``DELETE /v3/{project_id}/volumes/{id}``: 202; 400 while attached, 404."""
    ctx = request_context(req)
    volumes.check_project(ctx, project_id)
    with _session(req) as session:
        volumes.delete_volume(session, ctx, volume_id)
    resp.status = falcon.HTTP_202


def _attachments_call(req: falcon.Request, project_id: str) -> RequestContext:
    microversion.require(req, microversion.ATTACHMENTS)
    ctx = request_context(req)
    volumes.check_project(ctx, project_id)
    return ctx


def list_attachments(req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
    """``GET /v3/{project_id}/attachments`` (3.27+): filters instance_id, volume_id, status."""
    ctx = _attachments_call(req, project_id)
    with _session(req) as session:
        rows = attachments.list_attachments(session, ctx, project_id, req.params)
        resp.media = {"attachments": [_summarize_attachment(r) for r in rows]}


def list_attachments_detail(req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
    """``GET /v3/{project_id}/attachments/detail`` (3.27+): as the list, in full."""
    ctx = _attachments_call(req, project_id)
    with _session(req) as session:
        rows = attachments.list_attachments(session, ctx, project_id, req.params)
        resp.media = {"attachments": [_serialize_attachment(r) for r in rows]}


def create_attachment(req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
    """``POST /v3/{project_id}/attachments`` (3.27+): 200, reserved (no connector) or
    attaching (connector given). 400 for a bad body or a volume held by another server,
    404 for an unseen volume.
    """
    ctx = _attachments_call(req, project_id)
    body = read_json(req)
    with _session(req) as session:
        row = attachments.create_attachment(session, ctx, body)
        resp.media = {"attachment": _serialize_attachment(row)}


def get_attachment(req: falcon.Request, resp: falcon.Response, project_id: str,
                   attachment_id: str) -> None:
    """``GET /v3/{project_id}/attachments/{id}`` (3.27+): 200, or 404."""
    ctx = _attachments_call(req, project_id)
    with _session(req) as session:
        row = attachments.get_attachment(session, ctx, attachment_id)
        resp.media = {"attachment": _serialize_attachment(row)}


def update_attachment(req: falcon.Request, resp: falcon.Response, project_id: str,
                      attachment_id: str) -> None:
    """``PUT /v3/{project_id}/attachments/{id}`` (3.27+) with a connector: 200 with the
    connection_info filled. 400 for a bad body, 404.
    """
    ctx = _attachments_call(req, project_id)
    body = read_json(req)
    with _session(req) as session:
        row = attachments.update_attachment(session, ctx, attachment_id, body)
        resp.media = {"attachment": _serialize_attachment(row)}


def attachment_action(req: falcon.Request, resp: falcon.Response, project_id: str,
                      attachment_id: str) -> None:
    """``POST /v3/{project_id}/attachments/{id}/action`` ``{"os-complete": null}`` (3.44+):
    204, the volume goes in-use. 400 for other actions or an unconnected attachment.
    """
    ctx = _attachments_call(req, project_id)
    microversion.require(req, microversion.ATTACHMENT_COMPLETE)
    body = read_json(req)
    schemas.validate(schemas.ATTACHMENT_ACTION_VALIDATOR, body)
    with _session(req) as session:
        attachments.complete_attachment(session, ctx, attachment_id)
    resp.status = falcon.HTTP_204


def delete_attachment(req: falcon.Request, resp: falcon.Response, project_id: str,
                      attachment_id: str) -> None:
    """``DELETE /v3/{project_id}/attachments/{id}`` (3.27+): 200 with the volume's
    remaining attachments; the volume is available again when none remain.
    """
    ctx = _attachments_call(req, project_id)
    with _session(req) as session:
        remaining = attachments.delete_attachment(session, ctx, attachment_id)
        resp.media = {"attachments": [_summarize_attachment(r) for r in remaining]}

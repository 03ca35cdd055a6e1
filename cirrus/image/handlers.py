"""HTTP handlers of the image API (Glance v2 shapes): versions, images, image data, schemas."""

import dataclasses
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any, cast

import falcon

from cirrus import exception
from cirrus.db.services import models
from cirrus.image import images, queries, schemas
from cirrus.image.store import FilesystemStore
from cirrus.wsgi import service_app
from cirrus.wsgi.auth import request_context
from cirrus.wsgi.body import read_json

CURRENT_VERSION = "v2.16"
_SUPPORTED = [f"v2.{minor}" for minor in range(15, -1, -1)]
_OCTET = "application/octet-stream"


@dataclasses.dataclass(frozen=True)
class Services(service_app.Services):
    """The services database plus the image data store."""

    store: FilesystemStore


def _services(req: falcon.Request) -> Services:
    return cast(Services, req.context["services"])




def _iso(value: Any) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def _serialize_image(row: models.Image) -> dict[str, Any]:
    body: dict[str, Any] = {p.name: p.value for p in row.properties}
    body.update(
        id=row.id, name=row.name, status=row.status, visibility=row.visibility,
        protected=row.protected, os_hidden=row.os_hidden, checksum=row.checksum,
        os_hash_algo=row.os_hash_algo, os_hash_value=row.os_hash_value, owner=row.owner,
        size=row.size, virtual_size=row.virtual_size, min_ram=row.min_ram,
        min_disk=row.min_disk, disk_format=row.disk_format,
        container_format=row.container_format, tags=sorted(t.value for t in row.tags),
        created_at=_iso(row.created_at), updated_at=_iso(row.updated_at or row.created_at),
        self=f"/v2/images/{row.id}", file=f"/v2/images/{row.id}/file",
        schema="/v2/schemas/image",
    )
    return body


def get_versions(req: falcon.Request, resp: falcon.Response) -> None:
    """``GET /`` and ``GET /v2``: the version document, 300, no token needed."""
    links = [{"rel": "self", "href": f"{req.forwarded_prefix}/v2/"}]
    statuses = [(CURRENT_VERSION, "CURRENT")] + [(v, "SUPPORTED") for v in _SUPPORTED]
    versions = [{"id": v, "status": status, "links": links} for v, status in statuses]
    resp.status = falcon.HTTP_300
    resp.media = {"versions": versions}


def _next_link(params: Mapping[str, str | list[str]], marker: str) -> str:
    query = [(k, v) for k, v in params.items() if k != "marker"]
    query.append(("marker", marker))
    return "/v2/images?" + urllib.parse.urlencode(query, doseq=True)


def list_images(req: falcon.Request, resp: falcon.Response) -> None:
    """``GET /v2/images``: 200 with ``images``, ``first``, ``schema`` and ``next`` when full.

    400 for a malformed query or an unknown marker.
    """
    ctx = request_context(req)
    query = queries.parse(req.params)
    with _services(req).session() as session:
        rows, next_marker = images.list_images(session, ctx, query)
        body: dict[str, Any] = {
            "images": [_serialize_image(r) for r in rows],
            "first": "/v2/images",
            "schema": "/v2/schemas/images",
        }
    if next_marker is not None:
        body["next"] = _next_link(req.params, next_marker)
    resp.media = body


def create_image(req: falcon.Request, resp: falcon.Response) -> None:
    """``POST /v2/images``: 201 with the queued image.

    400 for a body that breaks the schema, 403 for read-only or reserved attributes and
    owners or visibilities the caller may not set, 409 for a taken id.
    """
    ctx = request_context(req)
    body = read_json(req)
    with _services(req).session() as session:
        row = images.create_image(session, ctx, body)
        resp.media = _serialize_image(row)
    resp.status = falcon.HTTP_201
    resp.location = f"/v2/images/{row.id}"


def get_image(req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
    """``GET /v2/images/{id}``: 200, or 404 for unknown, invisible or non-UUID ids."""
    ctx = request_context(req)
    with _services(req).session() as session:
        resp.media = _serialize_image(images.get_image(session, ctx, image_id))


def update_image(req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
    """``PATCH /v2/images/{id}`` with a JSON patch: 200 with the image.

    415 unless the body is ``application/openstack-images-v2.1-json-patch``; 400, 403,
    404 and 409 as ``images.patch_image`` raises them.
    """
    ctx = request_context(req)
    media_type = (req.content_type or "").partition(";")[0].strip().lower()
    if media_type not in schemas.PATCH_MEDIA_TYPES:
        raise falcon.HTTPUnsupportedMediaType(
            description=f"Content-Type must be {schemas.PATCH_MEDIA_TYPES[0]}"
        )
    ops = read_json(req)
    with _services(req).session() as session:
        resp.media = _serialize_image(images.patch_image(session, ctx, image_id, ops))


def delete_image(req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
    """``DELETE /v2/images/{id}``: 204, and the image's bytes are removed.

    403 when protected or not the owner's, 404 when not visible.
    """
    ctx = request_context(req)
    svc = _services(req)
    with svc.session() as session:
        deleted = images.delete_image(session, ctx, image_id)
    svc.store.delete(deleted)
    resp.status = falcon.HTTP_204


def _body_reader(req: falcon.Request) -> Callable[[int], bytes]:
    if req.content_length is not None:
        return req.bounded_stream.read
    if "chunked" in (req.get_header("Transfer-Encoding") or "").lower():
        # A chunked body has no length; the server's input ends where the body does.
        return cast(Callable[[int], bytes], req.stream.read)
    return lambda _n: b""


def upload_image_data(req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
    """``PUT /v2/images/{id}/file``: 204 once the bytes are stored and the image is active.

    The body is streamed to the store, never held in memory. 409 unless the image is
    queued, 400 without disk and container formats, 413 when the store lacks room or
    the image is over the size cap, 415 unless ``application/octet-stream``, 410 when
    the image was deleted meanwhile. A failed upload leaves the image queued.
    """
    ctx = request_context(req)
    if (req.content_type or "").partition(";")[0].strip().lower() != _OCTET:
        raise falcon.HTTPUnsupportedMediaType(description=f"Content-Type must be {_OCTET}")
    svc = _services(req)
    with svc.session() as session:
        canonical = images.begin_upload(session, ctx, image_id)
    try:
        stored = svc.store.write(canonical, _body_reader(req), req.content_length)
    except BaseException:
        with svc.session() as session:
            images.abort_upload(session, canonical)
        raise
    try:
        with svc.session() as session:
            images.finish_upload(session, canonical, stored)
    except exception.ImageDeletedDuringUpload:
        svc.store.delete(canonical)
        raise
    resp.status = falcon.HTTP_204


def download_image_data(req: falcon.Request, resp: falcon.Response, image_id: str) -> None:
    """``GET /v2/images/{id}/file``: 200 with the bytes streamed and ``Content-MD5``.

    204 when the image has no data yet, 403 when deactivated, 404 when not visible.
    """
    ctx = request_context(req)
    svc = _services(req)
    with svc.session() as session:
        row = images.get_image(session, ctx, image_id)
    if row.status == "deactivated" and not ctx.is_admin:
        raise exception.Forbidden(
            "The requested image has been deactivated. Image data download is forbidden."
        )
    data = svc.store.chunks(row.id) if row.status == "active" and row.size is not None else None
    if data is None or row.size is None:
        resp.status = falcon.HTTP_204
        return
    resp.content_type = _OCTET
    if row.checksum:
        resp.set_header("Content-MD5", row.checksum)
    resp.set_stream(data, row.size)


def get_image_schema(req: falcon.Request, resp: falcon.Response) -> None:
    """``GET /v2/schemas/image``: the (minimal) JSON schema of an image."""
    request_context(req)
    resp.media = schemas.IMAGE_SCHEMA_DOCUMENT


def get_images_schema(req: falcon.Request, resp: falcon.Response) -> None:
    """``GET /v2/schemas/images``: the (minimal) JSON schema of an image list."""
    request_context(req)
    resp.media = schemas.IMAGES_SCHEMA_DOCUMENT

"""Typed client of the volume service, for the other Cirrus services.

The caller builds the ``httpx.Client``: ``cirrus.wsgi.server.inprocess_client(app,
"http://cirrus/volume")`` in one process, or one with the service's real base URL. Every
request carries ``OpenStack-API-Version: volume 3.44``, as Nova sends it.
"""

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from cirrus import exception

TokenProvider = Callable[[], str]
"""Returns the token to send; called before every request so it may refresh."""

MICROVERSION = "3.44"
_BY_STATUS: dict[int, type[exception.CirrusException]] = {
    400: exception.Invalid,
    401: exception.Unauthorized,
    403: exception.Forbidden,
    404: exception.NotFound,
    406: exception.InvalidGlobalAPIVersion,
    409: exception.Conflict,
}


@dataclasses.dataclass(frozen=True)
class Volume:
    """A volume as the volume service shows it."""

    id: str
    name: str | None
    size: int
    status: str
    project_id: str
    bootable: bool
    image_id: str | None
    metadata: Mapping[str, str]
    attached_servers: tuple[str, ...]
    """Servers with a completed attachment."""
    attachment_ids: tuple[str, ...]
    """The completed attachments."""

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> "Volume":
        """Parse a Cinder volume body."""
        attached = body.get("attachments") or []
        return cls(
            id=body["id"], name=body.get("name"), size=int(body["size"]), status=body["status"],
            project_id=body.get("os-vol-tenant-attr:tenant_id", ""),
            bootable=body.get("bootable") == "true",
            image_id=(body.get("volume_image_metadata") or {}).get("image_id"),
            metadata=body.get("metadata") or {},
            attached_servers=tuple(a["server_id"] for a in attached),
            attachment_ids=tuple(a["attachment_id"] for a in attached),
        )


@dataclasses.dataclass(frozen=True)
class Attachment:
    """A volume attachment: reserved, attaching or attached."""

    id: str
    status: str
    instance_uuid: str
    volume_id: str
    attach_mode: str | None
    connection_info: Mapping[str, Any]
    attached_at: str | None

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> "Attachment":
        """Parse a Cinder attachment body (summary or full)."""
        return cls(
            id=body["id"], status=body["status"], instance_uuid=body.get("instance", ""),
            volume_id=body["volume_id"], attach_mode=body.get("attach_mode"),
            connection_info=body.get("connection_info") or {},
            attached_at=body.get("attached_at"),
        )


def _message(resp: httpx.Response) -> str:
    try:
        body = resp.json()
        fault = next(iter(body.values()))
        return str(fault["message"])
    except (ValueError, AttributeError, StopIteration, KeyError, TypeError):
        return resp.text or resp.reason_phrase


def _check(resp: httpx.Response, not_found: exception.CirrusException | None = None) -> None:
    """Turn an error response into the matching domain exception."""
    code = resp.status_code
    if code < 400:
        return
    if code == 404 and not_found is not None:
        raise not_found
    message = _message(resp)
    if code == 400 and message.startswith("Invalid volume"):
        raise exception.InvalidVolume(message)
    if code in _BY_STATUS:
        raise _BY_STATUS[code](message)
    raise exception.ServiceUnavailable(reason=f"volume service answered {code}: {message}")


class VolumeClient:
    """Calls the volume service's Cinder v3 API at microversion 3.44.

    Args:
        http: client whose base URL is the service's root (``.../volume``).
        token: gives the ``X-Auth-Token`` of every request.
        project_id: the project in the request URLs; an admin token may reach any
            project's volumes and attachments by id.
        timeout: seconds allowed for each request.

    Every method raises ServiceUnavailable when the service cannot be reached or fails,
    and Unauthorized, Forbidden or Invalid as it answers.
    """

    def __init__(
        self, http: httpx.Client, token: TokenProvider, *, project_id: str = "service",
        timeout: float = 30.0,
    ) -> None:
        self._http = http
        self._token = token
        self._project = project_id
        self._timeout = timeout

    def _call(self, method: str, path: str, not_found: exception.CirrusException | None = None,
              **kwargs: Any) -> Any:
        headers = {
            "X-Auth-Token": self._token(), "OpenStack-API-Version": f"volume {MICROVERSION}",
        }
        try:
            resp = self._http.request(
                method, f"/v3/{self._project}{path}", headers=headers, timeout=self._timeout,
                **kwargs,
            )
        except httpx.TransportError as exc:
            raise exception.ServiceUnavailable(reason=f"volume service: {exc}") from exc
        _check(resp, not_found)
        return resp.json() if resp.content else None

    def create_volume(
        self, size: int, *, name: str | None = None, image_ref: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> Volume:
        """Create an available volume of ``size`` GiB in the client's project."""
        attrs: dict[str, Any] = {"size": size, "name": name}
        if image_ref is not None:
            attrs["imageRef"] = image_ref
        if metadata:
            attrs["metadata"] = dict(metadata)
        return Volume.from_body(self._call("POST", "/volumes", json={"volume": attrs})["volume"])

    def get_volume(self, volume_id: str) -> Volume:
        """The volume ``volume_id``; raises VolumeNotFound."""
        missing = exception.VolumeNotFound(volume_id=volume_id)
        return Volume.from_body(self._call("GET", f"/volumes/{volume_id}", missing)["volume"])

    def list_volumes(self, *, all_projects: bool = False) -> list[Volume]:
        """The project's volumes (every project's, for an admin asking ``all_projects``)."""
        params = {"all_tenants": "1"} if all_projects else {}
        body = self._call("GET", "/volumes/detail", params=params)
        return [Volume.from_body(v) for v in body["volumes"]]

    def delete_volume(self, volume_id: str) -> None:
        """Delete a volume; raises VolumeNotFound, or InvalidVolume while attached."""
        self._call("DELETE", f"/volumes/{volume_id}", exception.VolumeNotFound(volume_id=volume_id))

    def create_attachment(
        self, volume_id: str, instance_uuid: str, connector: Mapping[str, Any] | None = None,
        *, mode: str | None = None,
    ) -> Attachment:
        """Reserve the volume for a server (``reserved``), connected when a connector is
        given (``attaching``).

        Raises:
            VolumeNotFound: no such volume.
            InvalidVolume: the volume is held by another server.
        """
        attrs: dict[str, Any] = {"volume_uuid": volume_id, "instance_uuid": instance_uuid}
        if connector is not None:
            attrs["connector"] = dict(connector)
        if mode is not None:
            attrs["mode"] = mode
        body = self._call(
            "POST", "/attachments", exception.VolumeNotFound(volume_id=volume_id),
            json={"attachment": attrs},
        )
        return Attachment.from_body(body["attachment"])

    def get_attachment(self, attachment_id: str) -> Attachment:
        """The attachment ``attachment_id``; raises AttachmentNotFound."""
        missing = exception.AttachmentNotFound(attachment_id=attachment_id)
        body = self._call("GET", f"/attachments/{attachment_id}", missing)
        return Attachment.from_body(body["attachment"])

    def list_attachments(
        self, *, instance_id: str | None = None, volume_id: str | None = None,
        all_projects: bool = False,
    ) -> list[Attachment]:
        """Attachments matching the filters, in full."""
        params = {"instance_id": instance_id, "volume_id": volume_id,
                  "all_tenants": "1" if all_projects else None}
        query = {k: v for k, v in params.items() if v is not None}
        body = self._call("GET", "/attachments/detail", params=query)
        return [Attachment.from_body(a) for a in body["attachments"]]

    def update_attachment(self, attachment_id: str, connector: Mapping[str, Any]) -> Attachment:
        """Connect the attachment to a host; the result carries ``connection_info``.

        Raises:
            AttachmentNotFound: no such attachment.
        """
        body = self._call(
            "PUT", f"/attachments/{attachment_id}",
            exception.AttachmentNotFound(attachment_id=attachment_id),
            json={"attachment": {"connector": dict(connector)}},
        )
        return Attachment.from_body(body["attachment"])

    def complete_attachment(self, attachment_id: str) -> None:
        """Mark a connected attachment attached; the volume goes in-use.

        Raises:
            AttachmentNotFound: no such attachment.
            InvalidVolume: the attachment was never connected.
        """
        self._call(
            "POST", f"/attachments/{attachment_id}/action",
            exception.AttachmentNotFound(attachment_id=attachment_id),
            json={"os-complete": None},
        )

    def delete_attachment(self, attachment_id: str) -> None:
        """Delete an attachment; the volume is available when none remain.

        Raises:
            AttachmentNotFound: no such attachment.
        """
        self._call(
            "DELETE", f"/attachments/{attachment_id}",
            exception.AttachmentNotFound(attachment_id=attachment_id),
        )

"""Typed client of the image service, for the other Cirrus services.

The caller builds the ``httpx.Client``: ``cirrus.wsgi.server.inprocess_client(app,
"http://cirrus/image")`` in one process, or one with the service's real base URL.
"""

import dataclasses
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, BinaryIO

import httpx

from cirrus import exception

TokenProvider = Callable[[], str]
"""Returns the token to send; called before every request so it may refresh."""

_PATCH_TYPE = "application/openstack-images-v2.1-json-patch"
_CORE = frozenset({
    "id", "name", "status", "visibility", "protected", "os_hidden", "checksum",
    "os_hash_algo", "os_hash_value", "owner", "size", "virtual_size", "min_ram", "min_disk",
    "disk_format", "container_format", "tags", "created_at", "updated_at", "self", "file",
    "schema", "locations", "direct_url",
})
_CHUNK = 1 << 20
_ERRORS: dict[int, type[exception.CirrusException]] = {
    400: exception.Invalid,
    401: exception.Unauthorized,
    403: exception.Forbidden,
    404: exception.NotFound,
    409: exception.Conflict,
    410: exception.ImageDeletedDuringUpload,
    413: exception.ImageStorageFull,
}


@dataclasses.dataclass(frozen=True)
class Image:
    """An image as the image service shows it."""

    id: str
    name: str | None
    status: str
    visibility: str
    disk_format: str | None
    container_format: str | None
    size: int | None
    checksum: str | None
    os_hash_algo: str | None
    os_hash_value: str | None
    min_disk: int
    min_ram: int
    owner: str | None
    protected: bool
    os_hidden: bool
    tags: tuple[str, ...]
    properties: Mapping[str, str]
    """Extra properties, which Glance flattens into the image body."""
    created_at: str
    updated_at: str

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> "Image":
        """Parse an image body of the Glance v2 API."""
        return cls(
            id=body["id"], name=body.get("name"), status=body["status"],
            visibility=body.get("visibility", "shared"), disk_format=body.get("disk_format"),
            container_format=body.get("container_format"), size=body.get("size"),
            checksum=body.get("checksum"), os_hash_algo=body.get("os_hash_algo"),
            os_hash_value=body.get("os_hash_value"), min_disk=body.get("min_disk") or 0,
            min_ram=body.get("min_ram") or 0, owner=body.get("owner"),
            protected=bool(body.get("protected")), os_hidden=bool(body.get("os_hidden")),
            tags=tuple(body.get("tags") or ()),
            properties={k: v for k, v in body.items() if k not in _CORE},
            created_at=body.get("created_at", ""), updated_at=body.get("updated_at", ""),
        )


def _message(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return resp.text or resp.reason_phrase
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
    return resp.reason_phrase


def _check(resp: httpx.Response, image_id: str | None = None) -> None:
    """Turn an error response into the matching domain exception."""
    code = resp.status_code
    if code < 400:
        return
    message = _message(resp)
    if code == 404 and image_id is not None:
        raise exception.ImageNotFound(image_id=image_id)
    if code in _ERRORS:
        raise _ERRORS[code](message)
    raise exception.ServiceUnavailable(reason=f"image service answered {code}: {message}")


def _chunks(data: bytes | BinaryIO | Iterable[bytes]) -> bytes | Iterator[bytes]:
    if isinstance(data, bytes):
        return data
    read = getattr(data, "read", None)
    if read is not None:
        return iter(lambda: read(_CHUNK), b"")
    return iter(data)


class ImageClient:
    """Calls the image service's Glance v2 API.

    Args:
        http: client whose base URL is the service's root (``.../image``).
        token: gives the ``X-Auth-Token`` of every request.
        timeout: seconds allowed for each request (a whole upload or download is one).

    Every method raises ServiceUnavailable when the service cannot be reached or fails,
    and Unauthorized, Forbidden, Invalid or Conflict as the service answers.
    """

    def __init__(self, http: httpx.Client, token: TokenProvider, *, timeout: float = 60.0) -> None:
        self._http = http
        self._token = token
        self._timeout = timeout

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"X-Auth-Token": self._token(), **kwargs.pop("headers", {})}
        try:
            return self._http.request(
                method, path, headers=headers, timeout=self._timeout, **kwargs
            )
        except httpx.TransportError as exc:
            raise exception.ServiceUnavailable(reason=f"image service: {exc}") from exc

    def get_image(self, image_id: str) -> Image:
        """The image ``image_id``; raises ImageNotFound."""
        resp = self._request("GET", f"/v2/images/{image_id}")
        _check(resp, image_id)
        return Image.from_body(resp.json())

    def list_images(
        self,
        *,
        name: str | None = None,
        ids: Sequence[str] = (),
        status: str | None = None,
        visibility: str | None = None,
        owner: str | None = None,
        tags: Sequence[str] = (),
        properties: Mapping[str, str] | None = None,
        page_size: int = 100,
    ) -> list[Image]:
        """Every image matching the filters, following the service's pages."""
        params: list[tuple[str, str]] = [("limit", str(page_size))]
        for key, value in (
            ("name", name), ("status", status), ("visibility", visibility), ("owner", owner),
        ):
            if value is not None:
                params.append((key, value))
        if ids:
            params.append(("id", "in:" + ",".join(ids)))
        params += [("tag", t) for t in tags]
        params += list((properties or {}).items())
        resp = self._request("GET", "/v2/images", params=params)
        found: list[Image] = []
        while True:
            _check(resp)
            body = resp.json()
            found += [Image.from_body(i) for i in body["images"]]
            if not body.get("next"):
                return found
            resp = self._request("GET", body["next"])

    def create_image(
        self,
        *,
        name: str | None,
        disk_format: str | None = "raw",
        container_format: str | None = "bare",
        visibility: str | None = None,
        min_disk: int = 0,
        min_ram: int = 0,
        tags: Sequence[str] = (),
        protected: bool = False,
        os_hidden: bool = False,
        owner: str | None = None,
        image_id: str | None = None,
        properties: Mapping[str, str] | None = None,
    ) -> Image:
        """Record a queued image; raises ImageExists when ``image_id`` is taken."""
        body: dict[str, Any] = {
            **(properties or {}), "name": name, "disk_format": disk_format,
            "container_format": container_format, "min_disk": min_disk, "min_ram": min_ram,
            "tags": list(tags), "protected": protected, "os_hidden": os_hidden,
        }
        for key, value in (("visibility", visibility), ("owner", owner), ("id", image_id)):
            if value is not None:
                body[key] = value
        resp = self._request("POST", "/v2/images", json=body)
        if resp.status_code == 409 and image_id is not None:
            raise exception.ImageExists(image_id=image_id)
        _check(resp)
        return Image.from_body(resp.json())

    def update_image(
        self, image_id: str, changes: Mapping[str, Any] | None = None, remove: Sequence[str] = ()
    ) -> Image:
        """Set attributes or properties (``changes``) and drop properties (``remove``).

        Raises:
            ImageNotFound: no such image.
            Conflict: a property in ``remove`` is not set.
        """
        ops: list[dict[str, Any]] = [
            {"op": "add", "path": "/" + _escape(k), "value": v} for k, v in (changes or {}).items()
        ]
        ops += [{"op": "remove", "path": "/" + _escape(k)} for k in remove]
        resp = self._request(
            "PATCH", f"/v2/images/{image_id}", json=ops, headers={"Content-Type": _PATCH_TYPE}
        )
        _check(resp, image_id)
        return Image.from_body(resp.json())

    def delete_image(self, image_id: str) -> None:
        """Delete an image and its data; raises ImageNotFound."""
        _check(self._request("DELETE", f"/v2/images/{image_id}"), image_id)

    def discard_image(self, image_id: str) -> None:
        """Delete an image that may already be gone (temporary images, cleanups)."""
        try:
            self.delete_image(image_id)
        except exception.ImageNotFound:
            return

    def upload_data(
        self, image_id: str, data: bytes | BinaryIO | Iterable[bytes], size: int | None = None
    ) -> None:
        """Stream ``data`` as the image's bytes; the image becomes active.

        Raises:
            ImageNotFound: no such image.
            Conflict: the image is not queued.
            ImageStorageFull: the store has no room (or the image is over its size cap).
        """
        headers = {"Content-Type": "application/octet-stream"}
        if size is not None:
            headers["Content-Length"] = str(size)
        resp = self._request(
            "PUT", f"/v2/images/{image_id}/file", content=_chunks(data), headers=headers
        )
        _check(resp, image_id)

    def download_data(self, image_id: str, dest: BinaryIO, *, verify: bool = True) -> int:
        """Write the image's bytes to ``dest``, checking them against ``Content-MD5``.

        A caller that checks the bytes itself (against the image's ``os_hash_value``)
        passes ``verify=False`` and saves a pass over them.

        Returns:
            The number of bytes written; 0 when the image has no data.

        Raises:
            ImageNotFound: no such image.
            ImageChecksumMismatch: the bytes do not match the checksum the service sent.
        """
        headers = {"X-Auth-Token": self._token()}
        md5 = hashlib.md5(usedforsecurity=False)
        written = 0
        try:
            with self._http.stream(
                "GET", f"/v2/images/{image_id}/file", headers=headers, timeout=self._timeout
            ) as resp:
                if resp.status_code >= 400:
                    resp.read()
                _check(resp, image_id)
                expected = resp.headers.get("Content-MD5")
                # As the server sends them: re-chunking would copy every byte once more.
                for chunk in resp.iter_bytes():
                    if verify:
                        md5.update(chunk)
                    dest.write(chunk)
                    written += len(chunk)
        except httpx.TransportError as exc:
            raise exception.ServiceUnavailable(reason=f"image service: {exc}") from exc
        if verify and expected and written and md5.hexdigest() != expected:
            raise exception.ImageChecksumMismatch(image_id=image_id, expected=expected)
        return written


def _escape(attr: str) -> str:
    return attr.replace("~", "~0").replace("/", "~1")

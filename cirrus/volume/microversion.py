"""The volume API's microversions: ``OpenStack-API-Version: volume X.Y``, parsed and echoed."""

import re
from typing import Any, cast

import falcon

from cirrus import exception

HEADER = "OpenStack-API-Version"
SERVICE = "volume"
MIN_VERSION = (3, 0)
MAX_VERSION = (3, 70)
"""Advertised maximum; the shapes this service serves do not change above 3.65."""

# Versions at which this service's behaviour changes (Cinder's numbering).
ATTACHMENTS = (3, 27)  # the attachments API
GROUP_ID = (3, 13)  # volumes show group_id
PROVIDER_ID = (3, 21)  # volumes show provider_id
ATTACHMENT_COMPLETE = (3, 44)  # POST /attachments/{id}/action {"os-complete": ...}
SHARED_TARGETS = (3, 48)  # volumes show shared_targets and service_uuid
CONSUMES_QUOTA = (3, 65)  # volumes show consumes_quota

_VERSION = re.compile(r"^([1-9]\d*)\.(0|[1-9]\d*)$")


def fmt(version: tuple[int, int]) -> str:
    """``(3, 44)`` as ``"3.44"``."""
    return f"{version[0]}.{version[1]}"


def parse(header: str | None) -> tuple[int, int]:
    """The volume version a request asks for; 3.0 when it names none.

    Raises:
        Invalid: the version is not ``major.minor`` or ``latest``.
        InvalidGlobalAPIVersion: the version is outside 3.0..3.70.
    """
    if not header:
        return MIN_VERSION
    wanted = None
    for item in header.split(","):
        service, _, text = item.strip().partition(" ")
        if service.lower() == SERVICE:
            wanted = text.strip()
    if wanted is None:
        return MIN_VERSION
    if wanted.lower() == "latest":
        return MAX_VERSION
    match = _VERSION.match(wanted)
    if not match:
        raise exception.Invalid(
            f"API Version String {wanted} is of invalid format. Must be of format "
            "MajorNum.MinorNum."
        )
    version = (int(match.group(1)), int(match.group(2)))
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise exception.InvalidGlobalAPIVersion(
            req_ver=wanted, min_ver=fmt(MIN_VERSION), max_ver=fmt(MAX_VERSION)
        )
    return version


def require(req: falcon.Request, minimum: tuple[int, int]) -> None:
    """Refuse a request below the version a route or action appeared in.

    Raises:
        VersionNotFoundForAPIMethod: the request's version is older than ``minimum``.
    """
    version = requested(req)
    if version < minimum:
        raise exception.VersionNotFoundForAPIMethod(version=fmt(version))


def requested(req: falcon.Request) -> tuple[int, int]:
    """The version the request was parsed as (3.0 before parsing)."""
    return cast(tuple[int, int], req.context.get("volume_version", MIN_VERSION))


class VersionMiddleware:
    """Parse the version header of every request and echo it on the response."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Store the requested version in the request context.

        Raises:
            Invalid, InvalidGlobalAPIVersion: as ``parse``.
        """
        del resp
        req.context["volume_version"] = parse(req.get_header(HEADER))

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: Any, succeeded: bool
    ) -> None:
        """Echo the version, as Cinder does on every versioned response."""
        del resource, succeeded
        version = req.context.get("volume_version")
        if version is not None:
            resp.set_header(HEADER, f"{SERVICE} {fmt(version)}")
            resp.append_header("Vary", HEADER)

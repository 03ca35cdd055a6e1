"""Compute API microversions: one canonical range, parsing, and the request's version.

The maximum is the highest version whose response shapes every endpoint we serve
implements exactly. Raising it means implementing every shape change up to the new value
(see doc/api-version-history.md).
"""

import dataclasses
import re

import falcon

from cirrus import exception

MIN_VERSION = (2, 1)
# NOTE: 2.90 is the last version whose shapes are all served exactly; clients then send
# 2.90 for servers, 2.61 flavors, 2.80 migrations, 2.84 actions, 2.69 services and 2.88
# hypervisors.
MAX_VERSION = (2, 90)
HEADERS = ("OpenStack-API-Version", "X-OpenStack-Nova-API-Version")
VARY = "OpenStack-API-Version, X-OpenStack-Nova-API-Version"

_FORMAT = re.compile(r"^([1-9]\d*)\.([1-9]\d*|0)$")


@dataclasses.dataclass(frozen=True, order=True)
class Version:
    """A requested microversion."""

    major: int
    minor: int

    def matches(self, lo: tuple[int, int], hi: tuple[int, int] | None = None) -> bool:
        """Whether lo <= self (<= hi)."""
        me = (self.major, self.minor)
        return me >= lo and (hi is None or me <= hi)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


def _fmt(v: tuple[int, int]) -> str:
    return f"{v[0]}.{v[1]}"


def max_version_str() -> str:
    """The advertised maximum, e.g. ``2.90``."""
    return _fmt(MAX_VERSION)


def min_version_str() -> str:
    """The advertised minimum."""
    return _fmt(MIN_VERSION)


def _header_value(req: falcon.Request) -> str | None:
    std = req.get_header("OpenStack-API-Version")
    if std:
        for part in std.split(","):
            service, _, value = part.strip().partition(" ")
            if service.lower() == "compute":
                return value.strip()
    return req.get_header("X-OpenStack-Nova-API-Version")


class NotAcceptable(exception.CirrusException):
    code = 406


def parse(req: falcon.Request) -> Version:
    """The microversion a request asks for.

    Raises:
        Invalid: the header is not ``X.Y`` or ``latest``.
        NotAcceptable: the version is outside the supported range.
    """
    raw = _header_value(req)
    if raw is None:
        return Version(*MIN_VERSION)
    raw = raw.strip()
    if raw.lower() == "latest":
        return Version(*MAX_VERSION)
    match = _FORMAT.match(raw)
    if not match:
        raise exception.Invalid(
            f"API Version String {raw} is of invalid format. Must be of format "
            "MajorNum.MinorNum.")
    version = Version(int(match.group(1)), int(match.group(2)))
    if not version.matches(MIN_VERSION, MAX_VERSION):
        raise NotAcceptable(
            f"Version {version} is not supported by the API. Minimum is "
            f"{min_version_str()} and maximum is {max_version_str()}.")
    return version


class MicroversionMiddleware:
    """Parse the requested version and echo it on every response, errors included."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Store the version in ``req.context.version``; version documents skip it."""
        del resp
        req.context["version"] = Version(*MIN_VERSION)
        req.context["version"] = parse(req)

    def process_response(self, req: falcon.Request, resp: falcon.Response,
                         resource: object, succeeded: bool) -> None:
        """Add the version headers."""
        del resource, succeeded
        version = req.context.get("version")
        if version is None:
            return
        resp.set_header("OpenStack-API-Version", f"compute {version}")
        resp.set_header("X-OpenStack-Nova-API-Version", str(version))
        resp.set_header("Vary", VARY)

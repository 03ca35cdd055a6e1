"""Version documents of the compute API (served without a token)."""

import falcon

from cirrus.api import microversion
from cirrus.api.common import base_url

_UPDATED = "2013-07-23T11:33:21Z"


def _v21(req: falcon.Request) -> dict[str, object]:
    return {
        "id": "v2.1", "status": "CURRENT", "version": microversion.max_version_str(),
        "min_version": microversion.min_version_str(), "updated": _UPDATED,
        "links": [{"rel": "self", "href": f"{base_url(req)}/v2.1/"}],
    }


def list_versions(state: object, req: falcon.Request, resp: falcon.Response) -> None:
    """GET /: every major version."""
    del state
    v2 = {"id": "v2.0", "status": "DEPRECATED", "version": "", "min_version": "",
          "updated": "2025-07-04T12:00:00Z",
          "links": [{"rel": "self", "href": f"{base_url(req)}/v2/"}]}
    resp.media = {"versions": [v2, _v21(req)]}


def get_openapi(state: object, req: falcon.Request, resp: falcon.Response) -> None:
    """GET /openapi.json: the generated OpenAPI document."""
    del state, req
    from cirrus.api import openapi

    resp.media = openapi.document()


def get_version(state: object, req: falcon.Request, resp: falcon.Response) -> None:
    """GET /v2.1: the version document clients negotiate microversions from."""
    del state
    doc = _v21(req)
    doc["links"] = [{"rel": "self", "href": f"{base_url(req)}/v2.1/"},
                    {"rel": "describedby", "type": "text/html",
                     "href": "http://docs.openstack.org/"}]
    doc["media-types"] = [{"base": "application/json",
                           "type": "application/vnd.openstack.compute+json;version=2.1"}]
    resp.media = {"version": doc}

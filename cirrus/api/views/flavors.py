"""Flavor bodies by microversion (2.1 to 2.90)."""

from collections.abc import Sequence
from typing import Any

import falcon

from cirrus.api.common import links
from cirrus.api.microversion import Version
from cirrus.api.views import paging
from cirrus.objects.flavor_spec import FlavorSpec


def _basic(req: falcon.Request, flavor: FlavorSpec, version: Version) -> dict[str, Any]:
    body: dict[str, Any] = {"id": flavor.flavorid, "name": flavor.name,
                            "links": links(req, "flavors", flavor.flavorid)}
    if version.matches((2, 55)):
        body["description"] = flavor.description
    return body


def show(req: falcon.Request, flavor: FlavorSpec, version: Version,
         extra_specs: bool) -> dict[str, Any]:
    """One flavor as in ``GET /flavors/{id}`` and the detail list.

    ``extra_specs`` says whether the caller may see them (2.61+ only).
    """
    body: dict[str, Any] = {
        "id": flavor.flavorid,
        "name": flavor.name,
        "ram": flavor.memory_mb,
        "disk": flavor.root_gb,
        # NOTE: below 2.75 a zero swap is the empty string, as Nova has always sent it.
        "swap": flavor.swap if version.matches((2, 75)) else (flavor.swap or ""),
        "OS-FLV-EXT-DATA:ephemeral": flavor.ephemeral_gb,
        "OS-FLV-DISABLED:disabled": flavor.disabled,
        "vcpus": flavor.vcpus,
        "os-flavor-access:is_public": flavor.is_public,
        "rxtx_factor": flavor.rxtx_factor or "",
        "links": links(req, "flavors", flavor.flavorid),
    }
    if version.matches((2, 55)):
        body["description"] = flavor.description
    if extra_specs and version.matches((2, 61)):
        body["extra_specs"] = dict(flavor.extra_specs)
    return body


def listing(req: falcon.Request, flavors: Sequence[FlavorSpec], version: Version, *,
            detail: bool, extra_specs: bool, max_limit: int) -> dict[str, Any]:
    """``{"flavors": [...], "flavors_links"?: [...]}`` for the index or detail list."""
    if detail:
        items = [show(req, f, version, extra_specs) for f in flavors]
    else:
        items = [_basic(req, f, version) for f in flavors]
    body: dict[str, Any] = {"flavors": items}
    last = flavors[-1].flavorid if flavors else None
    collection = "flavors/detail" if detail else "flavors"
    next_links = paging.next_links(req, len(flavors), last, collection, max_limit)
    if next_links:
        body["flavors_links"] = next_links
    return body


def access(flavorid: str, projects: Sequence[str]) -> dict[str, Any]:
    """``{"flavor_access": [{"flavor_id", "tenant_id"}...]}``."""
    return {"flavor_access": [{"flavor_id": flavorid, "tenant_id": p} for p in projects]}

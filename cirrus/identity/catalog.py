"""The service catalog, built from configuration rather than stored.

Every API of a deployment hangs under one public base URL (``[keystone]
public_endpoint``), so the catalog is a fixed table of paths. Ids are derived from the
service type and region, so every process and every restart hands out the same ones.
"""

import uuid
from typing import Any

from oslo_config import cfg

_NAMESPACE = uuid.UUID("6b2c6f0e-4d0a-4c53-9a8e-6f1d3c2b7a10")
_PROJECT_PLACEHOLDER = "$(project_id)s"

# (service type, service name, path under the public endpoint)
SERVICES: tuple[tuple[str, str, str], ...] = (
    ("compute", "nova", "/compute/v2.1"),
    ("identity", "keystone", "/identity"),
    ("image", "glance", "/image"),
    ("network", "neutron", "/network"),
    ("volumev3", "cinderv3", f"/volume/v3/{_PROJECT_PLACEHOLDER}"),
    ("block-storage", "cinder", f"/volume/v3/{_PROJECT_PLACEHOLDER}"),
    ("placement", "placement", "/placement"),
)


def _stable_id(*parts: str) -> str:
    return uuid.uuid5(_NAMESPACE, "/".join(parts)).hex


def endpoint_url(base: str, path: str, project_id: str | None) -> str:
    """``base`` + ``path`` with the project placeholder filled in.

    Raises:
        ValueError: the path needs a project and none was given.
    """
    url = base.rstrip("/") + path
    if _PROJECT_PLACEHOLDER in url:
        if not project_id:
            raise ValueError(f"{path} needs a project id")
        url = url.replace(_PROJECT_PLACEHOLDER, project_id)
    return url


def build_catalog_for(base: str, region: str, project_id: str | None,
                      elsewhere: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The catalog for ``project_id`` with explicit base URL and region.

    Services whose URL needs a project are left out when ``project_id`` is None; a
    service type in ``elsewhere`` is given that URL instead of a path under ``base``.
    """
    catalog: list[dict[str, Any]] = []
    for service_type, name, path in SERVICES:
        if _PROJECT_PLACEHOLDER in path and not project_id:
            continue
        url = (elsewhere or {}).get(service_type) or endpoint_url(base, path, project_id)
        endpoint = {
            "id": _stable_id("endpoint", service_type, region, "public"),
            "interface": "public",
            "region": region,
            "region_id": region,
            "url": url,
        }
        catalog.append(
            {
                "id": _stable_id("service", service_type),
                "name": name,
                "type": service_type,
                "endpoints": [endpoint],
            }
        )
    return catalog


def build_catalog(conf: cfg.ConfigOpts, project_id: str | None) -> list[dict[str, Any]]:
    """The Keystone v3 catalog a token scoped to ``project_id`` carries.

    Args:
        conf: configuration; reads ``[keystone] public_endpoint`` and ``region_name``,
            and ``[placement] endpoint_override`` (Placement served on its own).
        project_id: the token's project, substituted into per-project URLs (block
            storage); None leaves those services out.

    Returns:
        One entry per service type, each with one public endpoint.
    """
    placement = conf.placement.endpoint_override
    return build_catalog_for(conf.keystone.public_endpoint, conf.keystone.region_name,
                             project_id, {"placement": placement} if placement else None)


def identity_url(conf: cfg.ConfigOpts) -> str:
    """The public URL of the identity service, as advertised in 401 responses."""
    return endpoint_url(conf.keystone.public_endpoint, "/identity", None)

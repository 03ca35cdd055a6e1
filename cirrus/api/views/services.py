"""Service bodies by microversion (2.1 to 2.90)."""

from typing import Any

from cirrus.api.microversion import Version
from cirrus.api.views.timeutils import rawtime
from cirrus.objects.service import Service


def detail(svc: Service, zone: str, up: bool, version: Version) -> dict[str, Any]:
    """One service: integer id below 2.53, uuid from 2.53; forced_down from 2.11."""
    body: dict[str, Any] = {
        "binary": svc.binary,
        "host": svc.host,
        "id": svc.uuid if version.matches((2, 53)) else svc.id,
        "zone": zone,
        "status": "disabled" if svc.disabled else "enabled",
        "state": "up" if up else "down",
        "updated_at": rawtime(svc.updated_at),
        "disabled_reason": svc.disabled_reason,
    }
    if version.matches((2, 11)):
        body["forced_down"] = svc.forced_down
    return body


def down_cell(host: str, binary: str) -> dict[str, Any]:
    """A compute of a cell that did not answer (2.69+): only what the API database knows."""
    return {"binary": binary, "host": host, "status": "UNKNOWN"}

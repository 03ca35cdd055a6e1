"""Availability zone bodies (the same at every microversion up to 2.90)."""

from collections.abc import Mapping, Sequence
from typing import Any

from cirrus.api.views.timeutils import rawtime
from cirrus.objects.service import Service

# host -> [(service, is_up)]
ZoneHosts = Mapping[str, Sequence[tuple[Service, bool]]]


def zone(name: str, available: bool, hosts: ZoneHosts | None = None) -> dict[str, Any]:
    """One zone; ``hosts`` only in the detail list of an available zone, else null."""
    body: dict[str, Any] = {"zoneName": name, "zoneState": {"available": available},
                            "hosts": None}
    if hosts is not None:
        body["hosts"] = {
            host: {svc.binary: {"available": up, "active": not svc.disabled,
                                "updated_at": rawtime(svc.updated_at)}
                   for svc, up in entries}
            for host, entries in sorted(hosts.items())
        }
    return body

"""Quota set bodies by microversion: resources drop out at 2.36 and 2.57."""

from typing import Any

from cirrus.api.microversion import Version

RESOURCES = ("cores", "injected_files", "injected_file_content_bytes",
             "injected_file_path_bytes", "instances", "key_pairs", "metadata_items", "ram",
             "server_groups", "server_group_members", "fixed_ips", "floating_ips",
             "security_groups", "security_group_rules")
# The nova-network proxies went at 2.36; the personality files at 2.57.
_GONE_2_36 = frozenset({"fixed_ips", "floating_ips", "security_groups", "security_group_rules"})
_GONE_2_57 = _GONE_2_36 | {"injected_files", "injected_file_content_bytes",
                           "injected_file_path_bytes"}


def resources(version: Version) -> tuple[str, ...]:
    """The resources a quota set has at ``version``."""
    if version.matches((2, 57)):
        gone = _GONE_2_57
    elif version.matches((2, 36)):
        gone = _GONE_2_36
    else:
        gone = frozenset()
    return tuple(r for r in RESOURCES if r not in gone)


def quota_set(project_id: str | None, values: dict[str, Any],
              version: Version) -> dict[str, Any]:
    """``{"quota_set": {"id"?, <resource>: value...}}``; update responses have no id."""
    body: dict[str, Any] = {}
    if project_id:
        body["id"] = project_id
    body.update({r: values[r] for r in resources(version) if r in values})
    return {"quota_set": body}


def detail_values(limits: dict[str, int], in_use: dict[str, int]) -> dict[str, Any]:
    """Each resource as ``{"in_use", "limit", "reserved"}`` (reservations no longer exist)."""
    return {r: {"in_use": in_use.get(r, 0), "limit": limit, "reserved": 0}
            for r, limit in limits.items()}

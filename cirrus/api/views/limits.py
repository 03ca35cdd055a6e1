"""The /limits body by microversion: keys drop out at 2.36, 2.39 and 2.57."""

from typing import Any

from cirrus.api.microversion import Version

_ABSOLUTE = {
    "ram": ("maxTotalRAMSize",),
    "instances": ("maxTotalInstances",),
    "cores": ("maxTotalCores",),
    "key_pairs": ("maxTotalKeypairs",),
    "floating_ips": ("maxTotalFloatingIps",),
    "metadata_items": ("maxServerMeta", "maxImageMeta"),
    "injected_files": ("maxPersonality",),
    "injected_file_content_bytes": ("maxPersonalitySize",),
    "security_groups": ("maxSecurityGroups",),
    "security_group_rules": ("maxSecurityGroupRules",),
    "server_groups": ("maxServerGroups",),
    "server_group_members": ("maxServerGroupMembers",),
}
_USED = {
    "totalRAMUsed": "ram",
    "totalCoresUsed": "cores",
    "totalInstancesUsed": "instances",
    "totalFloatingIpsUsed": "floating_ips",
    "totalSecurityGroupsUsed": "security_groups",
    "totalServerGroupsUsed": "server_groups",
}
_GONE_2_36 = frozenset({"floating_ips", "security_groups", "security_group_rules"})
_GONE_2_57 = _GONE_2_36 | {"injected_files", "injected_file_content_bytes"}


def limits(quota: dict[str, int], in_use: dict[str, int], version: Version) -> dict[str, Any]:
    """``{"limits": {"rate": [], "absolute": {...}}}``."""
    if version.matches((2, 57)):
        gone = _GONE_2_57
    elif version.matches((2, 36)):
        gone = _GONE_2_36
    else:
        gone = frozenset()
    absolute: dict[str, int] = {}
    for resource, names in _ABSOLUTE.items():
        value = quota.get(resource)
        if value is None or resource in gone:
            continue
        for name in names:
            # maxImageMeta went with the image proxy API at 2.39.
            if name == "maxImageMeta" and version.matches((2, 39)):
                continue
            absolute[name] = value
    for name, resource in _USED.items():
        if resource in quota and resource not in gone:
            absolute[name] = in_use.get(resource, 0)
    return {"limits": {"rate": [], "absolute": absolute}}

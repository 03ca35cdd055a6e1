"""Server group bodies by microversion.

Below 2.64 the policy is a one-item ``policies`` list next to an always-empty
``metadata``; from 2.64 it is ``policy`` with its ``rules``. ``project_id`` and
``user_id`` appear from 2.13. ``members`` lists only the members that are not deleted.
"""

from collections.abc import Collection
from typing import Any

from cirrus.api.microversion import Version
from cirrus.objects.instance_group import ServerGroup


def _serialize_group(group: ServerGroup, live: Collection[str],
                     version: Version) -> dict[str, Any]:
    body: dict[str, Any] = {"id": group.uuid, "name": group.name}
    if version.matches((2, 64)):
        body["policy"] = group.policy
        body["rules"] = dict(group.rules)
    else:
        body["policies"] = [group.policy]
        # Exposed since 2.1 but never used; Nova keeps it empty until it goes at 2.64.
        body["metadata"] = {}
    body["members"] = [m for m in group.members if m in live]
    if version.matches((2, 13)):
        body["project_id"] = group.project_id
        body["user_id"] = group.user_id
    return body


def show(group: ServerGroup, live: Collection[str], version: Version) -> dict[str, Any]:
    """``{"server_group": {...}}`` (show and create)."""
    return {"server_group": _serialize_group(group, live, version)}


def index(groups: list[ServerGroup], live: Collection[str],
          version: Version) -> dict[str, Any]:
    """``{"server_groups": [...]}``."""
    return {"server_groups": [_serialize_group(g, live, version) for g in groups]}

"""Server groups on the API side: visibility, quotas, and servers joining and leaving.

The scheduler does not trust what is recorded here about where members run; it reads
the members and their hosts again for every request (cirrus.scheduler.host_manager).
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.api.common import APIState, is_uuid_like
from cirrus.context import RequestContext
from cirrus.objects import instance_group as ig_obj
from cirrus.objects import quota as quota_obj
from cirrus.objects.instance_group import ServerGroup
from cirrus.objects.request_spec import GroupInfo
from cirrus.policy.rules import compute as rules

GROUP_HINT = "group"


def visible(state: APIState, ctx: RequestContext, group: ServerGroup, rule: str) -> bool:
    """Whether ``ctx`` may see ``group``: its own project's, or ``rule`` allows the owner's."""
    if group.project_id == ctx.project_id:
        return True
    return state.policy.check(ctx, rule, {"project_id": group.project_id})


def find(state: APIState, ctx: RequestContext, uuid: str, rule: str) -> ServerGroup:
    """The group ``uuid`` as ``ctx`` may see it; another project's is not found.

    Raises:
        InstanceGroupNotFound: unknown, or not visible to the caller (404).
    """
    with state.runtime.api_reader() as s:
        group = ig_obj.get(s, uuid) if is_uuid_like(uuid) else None
    if group is None or not visible(state, ctx, group, rule):
        raise exception.InstanceGroupNotFound(group_uuid=uuid)
    return group


def live_members(state: APIState, groups: list[ServerGroup]) -> set[str]:
    """The members of ``groups`` that are not deleted, in one query."""
    members = {m for g in groups for m in g.members}
    with state.runtime.api_reader() as s:
        return ig_obj.live_members(s, members)


def check_group_quota(state: APIState, ctx: RequestContext) -> None:
    """Refuse one more group for the caller's project.

    Raises:
        ServerGroupLimitExceeded: the project has ``server_groups`` groups already (403).
    """
    project_id = ctx.project_id or ""
    with state.runtime.api_reader() as s:
        allowed = quota_obj.limits_for(s, project_id)["server_groups"]
        used = ig_obj.count_by_project(s, project_id)
    if 0 <= allowed < used + 1:
        raise exception.ServerGroupLimitExceeded()


def _hinted_uuid(hints: Mapping[str, Any]) -> str | None:
    value = hints.get(GROUP_HINT)
    if isinstance(value, list):
        # Hints may repeat a key; Nova reads the first group given.
        value = value[0] if value else None
    return str(value) if value else None


def group_for_boot(state: APIState, ctx: RequestContext, hints: Mapping[str, Any],
                   count: int) -> ServerGroup | None:
    """The group the ``group`` scheduler hint names, checked for a boot of ``count``.

    Raises:
        Invalid: no such group, or another project's (400, in Nova's words).
        ServerGroupMembersLimitExceeded: the user's members would exceed
            ``server_group_members`` (403).
    """
    uuid = _hinted_uuid(hints)
    if uuid is None:
        return None
    try:
        group = find(state, ctx, uuid, rules.SERVER_GROUPS_SHOW)
    except exception.InstanceGroupNotFound as exc:
        raise exception.Invalid(exc.message) from None
    with state.runtime.api_reader() as s:
        allowed = quota_obj.limits_for(s, ctx.project_id or "")["server_group_members"]
        used = ig_obj.count_members_by_user(s, group.uuid, ctx.user_id)
    if 0 <= allowed < used + count:
        raise exception.ServerGroupMembersLimitExceeded()
    return group


def join(session: Session, group: ServerGroup, instance_uuid: str) -> GroupInfo:
    """Make a new server a member (in the caller's transaction); what its spec carries.

    Raises:
        Invalid: the group was deleted since it was checked (400).
    """
    try:
        ig_obj.add_members(session, group.uuid, [instance_uuid])
        info = group_info_of(session, instance_uuid)
    except exception.InstanceGroupNotFound as exc:
        raise exception.Invalid(exc.message) from None
    assert info is not None
    return info


def group_info_of(session: Session, instance_uuid: str) -> GroupInfo | None:
    """The group a server is in as its request spec carries it, or None."""
    uuids = ig_obj.uuids_of(session, instance_uuid)
    if not uuids:
        return None
    group = ig_obj.get(session, uuids[0])
    return GroupInfo(uuid=group.uuid, policy=group.policy, members=group.members,
                     rules=dict(group.rules))


def leave(session: Session, instance_uuid: str) -> None:
    """Take a deleted server out of its groups (in the caller's transaction)."""
    ig_obj.remove_member(session, instance_uuid)


def groups_of(state: APIState, instance_uuid: str) -> list[str]:
    """The uuids of the groups a server is in (``server_groups`` from 2.71)."""
    with state.runtime.api_reader() as s:
        return ig_obj.uuids_of(s, instance_uuid)

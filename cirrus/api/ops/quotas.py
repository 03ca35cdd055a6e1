"""A project's effective quota limits and what it uses, as the quota and limits APIs show."""

from cirrus.api.common import APIState
from cirrus.api.ops.usage import project_usage
from cirrus.context import RequestContext
from cirrus.objects import quota as quota_obj

# nova-network quotas that no longer limit anything; kept (as unlimited) because the
# responses below 2.36 still carry them.
DEPRECATED_DEFAULTS = {"fixed_ips": -1, "floating_ips": -1, "security_groups": -1,
                       "security_group_rules": -1}


def limits(state: APIState, project_id: str) -> dict[str, int]:
    """Every resource's limit for ``project_id`` (-1 is unlimited)."""
    with state.runtime.api_session() as s:
        return {**DEPRECATED_DEFAULTS, **quota_obj.limits_for(s, project_id)}


def defaults(state: APIState) -> dict[str, int]:
    """Every resource's default limit."""
    with state.runtime.api_session() as s:
        return {**DEPRECATED_DEFAULTS, **quota_obj.defaults(s)}


def in_use(state: APIState, ctx: RequestContext, project_id: str) -> dict[str, int]:
    """Usage of every resource by ``project_id``.

    Only servers are counted: key pairs and server group members are per-user, so Nova
    reports them as 0 here, and nothing else is consumed yet.
    """
    usage = project_usage(state, ctx, project_id)
    counted = {"instances": usage.instances, "cores": usage.cores, "ram": usage.ram}
    names = {*DEPRECATED_DEFAULTS, *quota_obj.DEFAULTS}
    return {name: counted.get(name, 0) for name in names}

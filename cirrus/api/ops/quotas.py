"""A project's effective quota limits and what it uses, and the check every request makes."""

from collections.abc import Mapping

from cirrus import exception
from cirrus.api.common import APIState
from cirrus.api.ops.usage import project_usage
from cirrus.context import RequestContext
from cirrus.objects import instance_group as ig_obj
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

    Servers and server groups are counted: key pairs and server group members are
    per-user, so Nova reports them as 0 here, and nothing else is consumed yet.
    """
    usage = project_usage(state, ctx, project_id)
    with state.runtime.api_reader() as s:
        groups = ig_obj.count_by_project(s, project_id)
    counted = {"instances": usage.instances, "cores": usage.cores, "ram": usage.ram,
               "server_groups": groups}
    names = {*DEPRECATED_DEFAULTS, *quota_obj.DEFAULTS}
    return {name: counted.get(name, 0) for name in names}


def over_quota(limits: Mapping[str, int], used: Mapping[str, int],
               deltas: Mapping[str, int]) -> exception.QuotaExceeded | None:
    """The error for ``deltas`` on top of ``used``, or None when everything fits.

    Only positive deltas count (a smaller flavor never fails quota); -1 is unlimited.
    Every resource over its limit is listed, sorted and comma-joined, as Nova words it.
    """
    overs = sorted(name for name, delta in deltas.items()
                   if delta > 0 and limits.get(name, -1) >= 0
                   and used.get(name, 0) + delta > limits[name])
    if not overs:
        return None

    def _join(values: Mapping[str, int]) -> str:
        return ", ".join(str(values.get(name, 0)) for name in overs)

    return exception.QuotaExceeded(overs=", ".join(overs), req=_join(deltas),
                                   used=_join(used), allowed=_join(limits))


def check_deltas(state: APIState, ctx: RequestContext, project_id: str,
                 deltas: Mapping[str, int]) -> None:
    """Refuse a request that would take ``project_id`` over its quota.

    Raises:
        QuotaExceeded: every resource over its limit listed (403).
    """
    growing = [name for name, delta in deltas.items() if delta > 0]
    if not growing:
        return
    with state.runtime.api_reader() as s:
        limits = quota_obj.limits_for(s, project_id)
    # NOTE: only a limited resource can be exceeded: with every growing one unlimited the
    # answer is known without counting what the project uses in every cell.
    if all(limits.get(name, -1) < 0 for name in growing):
        return
    usage = project_usage(state, ctx, project_id)
    used = {"instances": usage.instances, "cores": usage.cores, "ram": usage.ram}
    error = over_quota(limits, used, deltas)
    if error is not None:
        raise error

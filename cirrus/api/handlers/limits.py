"""/limits: the caller's (or, for administrators, any project's) absolute limits."""

import falcon

from cirrus.api.common import APIState, ctx_of, version_of
from cirrus.api.ops import quotas
from cirrus.api.schemas import quota_sets as schemas
from cirrus.api.schemas.query import last, query_validator, validate_query
from cirrus.api.views import limits as views
from cirrus.policy.rules import compute as rules

_QUERY_V2_1 = query_validator(schemas.LIMITS_QUERY_V2_1)
_QUERY_V2_75 = query_validator(schemas.LIMITS_QUERY_V2_75)


def get_limits(state: APIState, req: falcon.Request, resp: falcon.Response) -> None:
    """GET /limits: ``rate`` is always empty; ``?tenant_id=`` needs limits:other_project."""
    ctx = ctx_of(req)
    state.policy.authorize(ctx, rules.LIMITS, {})
    version = version_of(req)
    params = validate_query(_QUERY_V2_75 if version.matches((2, 75)) else _QUERY_V2_1, req)
    project_id: str = ctx.project_id or ""
    if "tenant_id" in params:
        project_id = last(params, "tenant_id") or ""
        state.policy.authorize(ctx, rules.LIMITS_OTHER_PROJECT)
    resp.media = views.limits(quotas.limits(state, project_id),
                              quotas.in_use(state, ctx, project_id), version)

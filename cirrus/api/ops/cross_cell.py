"""Whether a resize or cold migration may leave the server's cell (Nova's decision chain).

Nova's ``compute.api.API._allow_cross_cell_resize`` plus the upgrade and network
conditions its conductor and docs require, checked here once per request in this order:

1. the policy ``compute:servers:resize:cross_cell`` (default: nobody), non-fatal;
2. every compute service in every cell is new enough to run the cross-cell methods;
3. ``[upgrade_levels] compute`` does not pin the compute RPC below those methods;
4. the network service has ``binding-extended`` (an inactive binding on the target host).

The first link that says no ends the chain, so the default (policy denies everyone)
costs no database or network call. A "no" is never an error: the move stays in its cell.
Nova also refuses servers with QoS ports (bug 1907522); Cirrus moves their bindings, so
there is no such link here.

Nothing is cached: each link is cheap next to a move, and each can change between two
requests (a policy file reload, a compute upgraded, a network extension enabled).
"""

import logging
from typing import Any

from oslo_utils import versionutils

from cirrus import exception
from cirrus.api.common import APIState
from cirrus.compute.rpcapi import CROSS_CELL_VERSION
from cirrus.context import CellFailure, RequestContext, scatter_gather
from cirrus.objects import service as service_obj
from cirrus.objects.instance import Instance
from cirrus.objects.request_spec import Destination
from cirrus.policy.rules import servers as rules

LOG = logging.getLogger(__name__)

BINDING_EXTENDED = "binding-extended"
"""The network extension a cross-cell move needs for the target host's port binding."""


def policy_allows(state: APIState, ctx: RequestContext, inst: Instance) -> bool:
    """Whether ``ctx`` may move ``inst`` across cells; a denial is an answer, not a 403."""
    target: dict[str, Any] = {"user_id": inst.user_id, "project_id": inst.project_id}
    return state.policy.check(ctx, rules.CROSS_CELL_RESIZE, target)


def min_compute_version(state: APIState, ctx: RequestContext) -> int | None:
    """The lowest ``version`` of a live compute service in any cell but cell0.

    Returns:
        0 when no cell has a compute; None when a cell did not answer, since its
        computes could be old ones (Nova skips such a cell; saying "unknown" only keeps
        the move in its cell, which is always safe).
    """
    runtime = state.runtime
    cells = [c for c in runtime.cells() if not c.is_cell0]

    def _cell_min(cctx: RequestContext) -> int | None:
        assert cctx.cell is not None
        with runtime.cell_reader(cctx.cell) as s:
            computes = service_obj.get_all(s, binary=service_obj.COMPUTE_BINARY)
        return min((svc.version for svc in computes), default=None)

    results = scatter_gather(ctx, cells, float(runtime.conf.api.list_cell_timeout),
                             _cell_min, state.pool)
    versions: list[int] = []
    for result in results.values():
        if isinstance(result, CellFailure):
            LOG.info("Cell %s did not report its compute versions", result.cell_uuid)
            return None
        if result is not None:  # None: the cell answered and has no compute.
            versions.append(result)
    return min(versions, default=0)


def computes_new_enough(state: APIState, ctx: RequestContext) -> bool:
    """Whether every compute of every cell can run the cross-cell move methods."""
    version = min_compute_version(state, ctx)
    if version is None:
        LOG.info("Cross-cell resize is not allowed: the compute service versions of "
                 "every cell could not be read.")
        return False
    if version < service_obj.MIN_COMPUTE_CROSS_CELL_RESIZE:
        LOG.info("Cross-cell resize is not allowed: the minimum compute service version "
                 "across all cells is %d, it needs %d.", version,
                 service_obj.MIN_COMPUTE_CROSS_CELL_RESIZE)
        return False
    return True


def rpc_cap_allows(cap: str | None) -> bool:
    """Whether ``[upgrade_levels] compute`` = ``cap`` lets the cross-cell methods be sent.

    As oslo.messaging's ``can_send_version``: no cap sends anything; otherwise the cap
    must have the same major version and be at least :data:`CROSS_CELL_VERSION`, compared
    as versions ("6.10" is above "6.2").
    """
    if not cap:
        return True
    try:
        allowed = versionutils.is_compatible(CROSS_CELL_VERSION, cap, same_major=True)
    except ValueError:
        # The RPC client rejects such a cap too; the move stays in its cell meanwhile.
        LOG.warning("[upgrade_levels] compute = %r is not a version", cap)
        return False
    if not allowed:
        LOG.info("Cross-cell resize is not allowed: [upgrade_levels] compute = %s is below "
                 "the compute RPC version %s it needs.", cap, CROSS_CELL_VERSION)
    return allowed


def network_supports(state: APIState) -> bool:
    """Whether the network service can bind ports to the target host before the switch."""
    try:
        supported = bool(state.runtime.network.has_extension(BINDING_EXTENDED))
    except exception.CirrusException as exc:
        # A network service we cannot ask is treated as lacking the extension: the move
        # stays in its cell rather than failing half way through a cross-cell one.
        LOG.warning("Could not list the network extensions: %s", exc)
        return False
    if not supported:
        LOG.info("Cross-cell resize is not allowed: the network service does not have "
                 "the %s extension.", BINDING_EXTENDED)
    return supported


def allow_cross_cell(state: APIState, ctx: RequestContext, inst: Instance) -> bool:
    """Whether this resize or cold migration of ``inst`` may pick a host in another cell."""
    if not policy_allows(state, ctx, inst):
        LOG.debug("Cross-cell resize of %s denied by policy", inst.uuid)
        return False
    return (computes_new_enough(state, ctx)
            and rpc_cap_allows(state.runtime.conf.upgrade_levels.compute)
            and network_supports(state))


def requested_destination(source_cell_uuid: str, host: str | None,
                          allowed: bool) -> Destination:
    """The move's scheduling restriction (Nova's ``_set_requested_destination_cell``).

    Allowed with no host: the source cell, only a preference (CrossCellWeigher). Allowed
    with a host: no cell, the host decides. Not allowed: the source cell, a hard limit.
    """
    cell_uuid = None if allowed and host else source_cell_uuid
    return Destination(host=host, cell_uuid=cell_uuid, allow_cross_cell_move=allowed)

"""Network records: visibility (own or shared), list filters, and deletion rules."""

import uuid
from typing import Any

from sqlalchemy import ColumnElement, UnaryExpression, exists, or_, select
from sqlalchemy.orm import Session

from cirrus import exception
from cirrus.context import RequestContext
from cirrus.db.services import models
from cirrus.db.services.query import fetch_page, get_by_uuid
from cirrus.network import filters, schemas

_N = models.Network
_COLUMNS: dict[str, Any] = {
    "id": _N.id,
    "name": _N.name,
    "description": _N.description,
    "status": _N.status,
    "tenant_id": _N.project_id,
    "project_id": _N.project_id,
    "mtu": _N.mtu,
    "provider:physical_network": _N.physical_network,
}
_BOOLEANS: dict[str, Any] = {"shared": _N.shared, "admin_state_up": _N.admin_state_up}
FILTERS = frozenset(_COLUMNS) | frozenset(_BOOLEANS)
SORT_KEYS = frozenset({"id", "name", "status", "mtu", "created_at", "updated_at"})


def owner_of(ctx: RequestContext, body: dict[str, Any]) -> str:
    """The project a new resource belongs to: the caller's unless an admin names another.

    Raises:
        Invalid: tenant_id and project_id disagree.
        PolicyNotAuthorized: a non-admin names another project.
    """
    tenant, project = body.get("tenant_id"), body.get("project_id")
    if tenant and project and tenant != project:
        raise exception.Invalid("'project_id' and 'tenant_id' do not match")
    owner = project or tenant or ctx.project_id
    if owner != ctx.project_id and not ctx.is_admin:
        raise exception.PolicyNotAuthorized(
            "(rule:create_network:tenant_id) is disallowed by policy"
        )
    return str(owner)


def _visible(ctx: RequestContext) -> list[ColumnElement[bool]]:
    if ctx.is_admin:
        return []
    return [or_(_N.project_id == ctx.project_id, _N.shared.is_(True))]


def get_network(session: Session, ctx: RequestContext, network_id: str) -> models.Network:
    """The network as the caller sees it.

    Raises:
        NetworkNotFound: no such network, or another project's unshared network.
    """
    row = get_by_uuid(session, models.Network, network_id)
    if row is None or not (ctx.is_admin or row.shared or row.project_id == ctx.project_id):
        raise exception.NetworkNotFound(network_id=network_id)
    return row


def create_network(session: Session, ctx: RequestContext, body: Any) -> models.Network:
    """Record a network from a ``POST /v2.0/networks`` body.

    Raises:
        Invalid: the body breaks the schema.
        PolicyNotAuthorized: a non-admin shares it or names another project.
    """
    schemas.validate(schemas.CREATE_NETWORK_VALIDATOR, body)
    attrs = body["network"]
    if attrs.get("shared") and not ctx.is_admin:
        raise exception.PolicyNotAuthorized("(rule:create_network:shared) is disallowed by policy")
    if attrs.get("provider:physical_network") and not ctx.is_admin:
        raise exception.PolicyNotAuthorized(
            "(rule:create_network:provider:physical_network) is disallowed by policy")
    row = models.Network(
        id=str(uuid.uuid4()), name=attrs.get("name", ""),
        description=attrs.get("description", ""), project_id=owner_of(ctx, attrs),
        admin_state_up=attrs.get("admin_state_up", True), shared=attrs.get("shared", False),
        mtu=attrs.get("mtu", 1500), status="ACTIVE", next_host=2,
        physical_network=attrs.get("provider:physical_network"),
    )
    session.add(row)
    session.flush()
    return row


def _mtu(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) > 65535:
        raise exception.Invalid(f"Invalid input for mtu. Reason: '{text}' is not a valid MTU.")
    return int(text)


def _conditions(query: filters.ListQuery) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    for key, wanted in query.filters.items():
        if key in _BOOLEANS:
            conds.append(_BOOLEANS[key].in_([filters.to_bool(key, v) for v in wanted]))
        elif key == "mtu":
            conds.append(_N.mtu.in_([_mtu(v) for v in wanted]))
        else:
            conds.append(_COLUMNS[key].in_(wanted))
    return conds


def list_networks(
    session: Session, ctx: RequestContext, query: filters.ListQuery
) -> list[models.Network]:
    """The networks the caller sees that match ``query``, in its order and page.

    Raises:
        Invalid: the marker is not a network the caller sees.
    """
    if query.marker is not None:
        try:
            get_network(session, ctx, query.marker)
        except exception.NetworkNotFound:
            raise exception.Invalid(f"Marker {query.marker} could not be found.") from None
    order: list[UnaryExpression[Any]] = [
        getattr(_N, k).asc() if d == "asc" else getattr(_N, k).desc() for k, d in query.sort
    ]
    order.append(_N.id.desc() if query.sort and query.sort[-1][1] == "desc" else _N.id.asc())
    return fetch_page(
        session, _N, _N.id, conds=_visible(ctx) + _conditions(query), order=order,
        marker=query.marker, limit=query.limit,
    )


def delete_network(session: Session, ctx: RequestContext, network_id: str) -> None:
    """Delete a network of the caller's project (any, for an admin).

    Raises:
        NetworkNotFound: the caller does not see it.
        PolicyNotAuthorized: a shared network of another project.
        NetworkInUse: ports are still on it.
    """
    row = get_network(session, ctx, network_id)
    if row.project_id != ctx.project_id and not ctx.is_admin:
        raise exception.PolicyNotAuthorized("(rule:delete_network) is disallowed by policy")
    in_use = session.scalar(select(exists().where(models.Port.network_id == row.id)))
    if in_use:
        raise exception.NetworkInUse(network_id=row.id)
    session.delete(row)
    session.flush()

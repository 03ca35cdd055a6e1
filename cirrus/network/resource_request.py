"""Ports' resource requests (QoS minimum bandwidth) in the shapes Neutron gives them.

A port's ``resource_request`` comes in one of two formats:

* legacy (``port-resource-request``): ``{"resources": {rc: amount}, "required":
  [traits]}``, one group whose requester is the port itself; the binding profile's
  ``allocation`` is then the provider's uuid;
* ``port-resource-request-groups``: ``{"request_groups": [{"id": ..., "resources": ...,
  "required": [...]}], "same_subtree": [ids]}``, one group per entry, each its own
  requester; ``allocation`` is then a dict of group id -> provider uuid.

A trait prefixed with ``!`` is forbidden rather than required, as in Placement's query.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from cirrus.objects.request_spec import RequestGroup

NET_BW_EGR = "NET_BW_EGR_KILOBIT_PER_SEC"
NET_BW_IGR = "NET_BW_IGR_KILOBIT_PER_SEC"
PHYSNET_TRAIT_PREFIX = "CUSTOM_PHYSNET_"
VNIC_TYPE_TRAIT_PREFIX = "CUSTOM_VNIC_TYPE_"


def _normalize(name: str) -> str:
    # Placement's custom trait names allow only A-Z, 0-9 and _ (os_traits.normalize_name).
    return "".join(c if c.isascii() and c.isalnum() else "_" for c in name.upper())


def physnet_trait(physnet: str) -> str:
    """The trait of a bandwidth provider on ``physnet`` (``CUSTOM_PHYSNET_<NAME>``)."""
    return PHYSNET_TRAIT_PREFIX + _normalize(physnet)


def vnic_type_trait(vnic_type: str) -> str:
    """The trait of a bandwidth provider serving ``vnic_type`` ports."""
    return VNIC_TYPE_TRAIT_PREFIX + _normalize(vnic_type)


def _group(requester_id: str, body: Mapping[str, Any]) -> RequestGroup:
    traits = [str(t) for t in body.get("required") or ()]
    return RequestGroup(
        requester_id=requester_id,
        resources={str(rc): int(n) for rc, n in (body.get("resources") or {}).items()},
        required_traits=tuple(t for t in traits if not t.startswith("!")),
        forbidden_traits=tuple(t[1:] for t in traits if t.startswith("!")))


def is_grouped(request: Mapping[str, Any]) -> bool:
    """Whether ``request`` is in the ``port-resource-request-groups`` format."""
    return "request_groups" in request


def request_groups(port_id: str, request: Mapping[str, Any] | None
                   ) -> tuple[list[RequestGroup], tuple[str, ...]]:
    """The request groups of one port, and the ids that must share a subtree.

    Returns:
        ([], ()) for a port that requests nothing.
    """
    if not request:
        return [], ()
    if not is_grouped(request):
        group = _group(port_id, request)
        return ([group] if group.resources else []), ()
    groups = [_group(str(g["id"]), g) for g in request.get("request_groups") or ()]
    return [g for g in groups if g.resources], tuple(request.get("same_subtree") or ())


class PortLike(Protocol):
    """What reading a port's request needs (the network client's Port has it)."""

    @property
    def id(self) -> str: ...

    @property
    def resource_request(self) -> Mapping[str, Any] | None: ...


def groups_of_ports(ports: Iterable[PortLike]
                    ) -> tuple[tuple[RequestGroup, ...], tuple[tuple[str, ...], ...]]:
    """Every request group of ``ports``, and each port's same-subtree ids (if any)."""
    groups: list[RequestGroup] = []
    subtrees: list[tuple[str, ...]] = []
    for port in ports:
        found, subtree = request_groups(port.id, port.resource_request)
        groups.extend(found)
        if len(subtree) > 1:
            subtrees.append(subtree)
    return tuple(groups), tuple(subtrees)


def with_network_traits(request: Mapping[str, Any], physnet: str | None,
                        vnic_type: str) -> dict[str, Any]:
    """A legacy request that names no traits, given the ones its network implies.

    Neutron derives a port's request from its QoS rule, its network's physnet and its
    vnic type; a request given without traits gets the same traits here. Requests in
    the groups format, or that name traits, are kept as they are.
    """
    out = dict(request)
    if is_grouped(request) or request.get("required") or not physnet:
        return out
    out["required"] = [physnet_trait(physnet), vnic_type_trait(vnic_type)]
    return out


def profile_allocation(port_id: str, request: Mapping[str, Any] | None,
                       mapping: Mapping[str, str]) -> str | dict[str, str] | None:
    """The ``binding:profile`` ``allocation`` of a port, from requester -> provider.

    Returns:
        None when the port requests nothing (its profile has no ``allocation``).
    """
    groups, _ = request_groups(port_id, request)
    if not groups:
        return None
    if request is not None and is_grouped(request):
        return {g.requester_id: mapping[g.requester_id] for g in groups}
    return mapping[port_id]


def map_to_providers(groups: Iterable[RequestGroup],
                     allocations: Mapping[str, Mapping[str, int]],
                     traits_of: Callable[[str], set[str]]) -> dict[str, str]:
    """Which provider of an allocation serves each group (no mapping was kept).

    Used where only the allocation is at hand, as Nova does on revert: a provider fits a
    group when it has the group's traits and enough of each of its resources left over
    from the groups already placed on it; the search backtracks, so two groups of the
    same size on two providers are told apart by the amounts.

    Raises:
        ValueError: the allocation cannot serve every group.
    """
    pending = list(groups)
    traits = {rp: traits_of(rp) for rp in allocations}
    left = {rp: dict(res) for rp, res in allocations.items()}

    def fits(group: RequestGroup, rp: str) -> bool:
        return (set(group.required_traits) <= traits[rp]
                and not set(group.forbidden_traits) & traits[rp]
                and all(left[rp].get(rc, 0) >= n for rc, n in group.resources.items()))

    def place(index: int, chosen: dict[str, str]) -> dict[str, str] | None:
        if index == len(pending):
            return chosen
        group = pending[index]
        for rp in sorted(left):
            if not fits(group, rp):
                continue
            for rc, n in group.resources.items():
                left[rp][rc] -= n
            found = place(index + 1, {**chosen, group.requester_id: rp})
            for rc, n in group.resources.items():
                left[rp][rc] += n
            if found is not None:
                return found
        return None

    result = place(0, {})
    if result is None:
        raise ValueError("the allocation does not hold every requested group")
    return result

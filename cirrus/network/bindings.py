"""Port bindings: one ACTIVE binding per port at most, any number of INACTIVE ones.

These functions change a port's binding collection in memory; the caller's session
persists the change. Transitions:

* create: ACTIVE when the port has no active binding, else INACTIVE;
* activate: INACTIVE -> ACTIVE, and the previously active binding -> INACTIVE;
* delete: INACTIVE bindings only (the active one goes by unbinding the port);
* set host (``PUT /ports/{id}`` with ``binding:host_id``): moves, creates or removes the
  active binding.
"""

from typing import Any

from cirrus import exception
from cirrus.db.services import models

ACTIVE = "ACTIVE"
INACTIVE = "INACTIVE"
VIF_TYPE = "ovs"
UNBOUND = "unbound"
COMPUTE_OWNER_PREFIX = "compute:"


def vif_details() -> dict[str, Any]:
    """What an OVS binding reports to the compute host that plugs the port."""
    return {
        "connectivity": "l2",
        "port_filter": True,
        "ovs_hybrid_plug": False,
        "datapath_type": "system",
        "bridge_name": "br-int",
    }


def active_binding(port: models.Port) -> models.PortBinding | None:
    """The port's ACTIVE binding, if it is bound."""
    return next((b for b in port.bindings if b.status == ACTIVE), None)


def find_binding(port: models.Port, host: str) -> models.PortBinding:
    """The port's binding for ``host``.

    Raises:
        PortBindingNotFound: there is none.
    """
    binding = next((b for b in port.bindings if b.host == host), None)
    if binding is None:
        raise exception.PortBindingNotFound(port_id=port.id, host=host)
    return binding


def _new_binding(port: models.Port, host: str, status: str, vnic_type: str,
                 profile: dict[str, Any]) -> models.PortBinding:
    binding = models.PortBinding(
        host=host, status=status, vif_type=VIF_TYPE, vnic_type=vnic_type, profile=profile,
        vif_details=vif_details(),
    )
    port.bindings.append(binding)
    return binding


def create_binding(
    port: models.Port, host: str, *, vnic_type: str | None = None,
    profile: dict[str, Any] | None = None,
) -> models.PortBinding:
    """Bind ``port`` to ``host``: ACTIVE if it has no active binding, else INACTIVE.

    Raises:
        Invalid: the port is not a compute port (``device_owner`` ``compute:*``).
        PortBindingAlreadyExists: the port already has a binding for ``host``.
    """
    if not port.device_owner.startswith(COMPUTE_OWNER_PREFIX):
        raise exception.Invalid(
            f"Invalid port {port.id}. Operation only valid on compute ports"
        )
    if any(b.host == host for b in port.bindings):
        raise exception.PortBindingAlreadyExists(port_id=port.id, host=host)
    status = INACTIVE if active_binding(port) is not None else ACTIVE
    return _new_binding(port, host, status, vnic_type or port.vnic_type, profile or {})


def activate_binding(port: models.Port, host: str) -> models.PortBinding:
    """Make the binding for ``host`` the active one; the previous one becomes INACTIVE.

    Raises:
        PortBindingNotFound: no binding for ``host``.
        PortBindingAlreadyActive: it is already the active binding.
    """
    binding = find_binding(port, host)
    if binding.status == ACTIVE:
        raise exception.PortBindingAlreadyActive(port_id=port.id, host=host)
    current = active_binding(port)
    if current is not None:
        current.status = INACTIVE
    binding.status = ACTIVE
    return binding


def delete_binding(port: models.Port, host: str) -> None:
    """Remove the INACTIVE binding for ``host``.

    Raises:
        PortBindingNotFound: no inactive binding for ``host`` (an active binding is not
            deleted this way, as in Neutron).
    """
    binding = next((b for b in port.bindings if b.host == host and b.status == INACTIVE), None)
    if binding is None:
        raise exception.PortBindingNotFound(port_id=port.id, host=host)
    port.bindings.remove(binding)


def set_host(port: models.Port, host: str) -> None:
    """Apply ``binding:host_id`` of a port update; an empty host unbinds the port.

    Raises:
        PortBindingAlreadyExists: the new host already has an inactive binding.
    """
    current = active_binding(port)
    if not host:
        if current is not None:
            port.bindings.remove(current)
        return
    if current is not None and current.host == host:
        return
    if any(b.host == host for b in port.bindings):
        raise exception.PortBindingAlreadyExists(port_id=port.id, host=host)
    if current is None:
        _new_binding(port, host, ACTIVE, port.vnic_type, {})
    else:
        current.host = host


def set_profile(port: models.Port, profile: dict[str, Any]) -> None:
    """Apply ``binding:profile`` of a port update to the active binding.

    Raises:
        Invalid: a non-empty profile for a port that is not bound.
    """
    current = active_binding(port)
    if current is not None:
        current.profile = dict(profile)
    elif profile:
        raise exception.Invalid("binding:profile can only be set on a bound port")

"""Typed client of the network service, for the other Cirrus services.

The caller builds the ``httpx.Client``: ``cirrus.wsgi.server.inprocess_client(app,
"http://cirrus/network")`` in one process, or one with the service's real base URL.
"""

import dataclasses
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from cirrus import exception

TokenProvider = Callable[[], str]
"""Returns the token to send; called before every request so it may refresh."""

# Neutron error types this client raises as themselves; any other error maps by status.
_NAMED: dict[str, type[exception.CirrusException]] = {
    cls.__name__: cls
    for cls in (
        exception.NetworkNotFound, exception.PortNotFound, exception.PortBindingNotFound,
        exception.PortBindingAlreadyExists, exception.PortBindingAlreadyActive,
        exception.NetworkInUse, exception.IpAddressAlreadyAllocated,
        exception.IpAddressGenerationFailure, exception.MacAddressInUse,
        exception.PolicyNotAuthorized,
    )
}
_BY_STATUS: dict[int, type[exception.CirrusException]] = {
    400: exception.Invalid,
    401: exception.Unauthorized,
    403: exception.Forbidden,
    404: exception.NotFound,
    409: exception.Conflict,
}


@dataclasses.dataclass(frozen=True)
class Network:
    """A network as the network service shows it."""

    id: str
    name: str
    project_id: str
    status: str
    admin_state_up: bool
    shared: bool
    mtu: int
    physical_network: str | None = None
    """``provider:physical_network``; None for a network on no physnet."""

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> "Network":
        """Parse a Neutron network body."""
        return cls(
            id=body["id"], name=body.get("name", ""),
            project_id=body.get("project_id") or body.get("tenant_id", ""),
            status=body.get("status", ""), admin_state_up=bool(body.get("admin_state_up")),
            shared=bool(body.get("shared")), mtu=int(body.get("mtu") or 0),
            physical_network=body.get("provider:physical_network"),
        )


@dataclasses.dataclass(frozen=True)
class FixedIP:
    """One address of a port."""

    ip_address: str
    subnet_id: str | None


@dataclasses.dataclass(frozen=True)
class PortBinding:
    """A port's binding to one host (extended port bindings)."""

    host: str
    status: str
    """ACTIVE or INACTIVE."""
    vif_type: str
    vnic_type: str
    profile: Mapping[str, Any]
    vif_details: Mapping[str, Any]

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> "PortBinding":
        """Parse a Neutron binding body."""
        return cls(
            host=body["host"], status=body["status"], vif_type=body.get("vif_type", ""),
            vnic_type=body.get("vnic_type", "normal"), profile=body.get("profile") or {},
            vif_details=body.get("vif_details") or {},
        )


@dataclasses.dataclass(frozen=True)
class Port:
    """A port as the network service shows it; ``host_id`` is "" when unbound."""

    id: str
    name: str
    network_id: str
    project_id: str
    mac_address: str
    status: str
    admin_state_up: bool
    device_id: str
    device_owner: str
    fixed_ips: tuple[FixedIP, ...]
    host_id: str
    profile: Mapping[str, Any]
    vif_type: str
    vif_details: Mapping[str, Any]
    vnic_type: str
    resource_request: Mapping[str, Any] | None

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> "Port":
        """Parse a Neutron port body."""
        return cls(
            id=body["id"], name=body.get("name", ""), network_id=body["network_id"],
            project_id=body.get("project_id") or body.get("tenant_id", ""),
            mac_address=body.get("mac_address", ""), status=body.get("status", ""),
            admin_state_up=bool(body.get("admin_state_up")),
            device_id=body.get("device_id", ""), device_owner=body.get("device_owner", ""),
            fixed_ips=tuple(
                FixedIP(ip["ip_address"], ip.get("subnet_id")) for ip in body.get("fixed_ips", [])
            ),
            host_id=body.get("binding:host_id") or "",
            profile=body.get("binding:profile") or {},
            vif_type=body.get("binding:vif_type", ""),
            vif_details=body.get("binding:vif_details") or {},
            vnic_type=body.get("binding:vnic_type", "normal"),
            resource_request=body.get("resource_request"),
        )


def _check(resp: httpx.Response, **ids: str) -> None:
    """Turn an error response into the matching domain exception (kwargs: the call's ids)."""
    code = resp.status_code
    if code < 400:
        return
    kind, message = "", resp.reason_phrase
    try:
        error = resp.json().get("NeutronError") or {}
        kind, message = error.get("type", ""), error.get("message", message)
    except (ValueError, AttributeError):
        pass
    if kind in _NAMED:
        raise _NAMED[kind](message, **ids)
    if code in _BY_STATUS:
        raise _BY_STATUS[code](message, **ids)
    raise exception.ServiceUnavailable(reason=f"network service answered {code}: {message}")


def _host(host: str) -> str:
    return urllib.parse.quote(host, safe="")


class NetworkClient:
    """Calls the network service's Neutron v2.0 API.

    Args:
        http: client whose base URL is the service's root (``.../network``).
        token: gives the ``X-Auth-Token`` of every request.
        timeout: seconds allowed for each request.

    Every method raises ServiceUnavailable when the service cannot be reached or fails,
    and Unauthorized, Forbidden (PolicyNotAuthorized), Invalid or Conflict as it answers.
    """

    def __init__(self, http: httpx.Client, token: TokenProvider, *, timeout: float = 30.0) -> None:
        self._http = http
        self._token = token
        self._timeout = timeout

    def _call(self, method: str, path: str, ids: Mapping[str, str], **kwargs: Any) -> Any:
        try:
            resp = self._http.request(
                method, "/v2.0" + path, headers={"X-Auth-Token": self._token()},
                timeout=self._timeout, **kwargs,
            )
        except httpx.TransportError as exc:
            raise exception.ServiceUnavailable(reason=f"network service: {exc}") from exc
        _check(resp, **ids)
        return resp.json() if resp.content else None

    def _list(self, path: str, key: str, params: Mapping[str, str | None]) -> list[Any]:
        query = {k: v for k, v in params.items() if v is not None}
        body = self._call("GET", path, {}, params=query)
        items: list[Any] = body[key]
        return items

    def list_extensions(self) -> list[str]:
        """Aliases of the API extensions the service offers."""
        return [e["alias"] for e in self._list("/extensions", "extensions", {})]

    def has_extension(self, alias: str) -> bool:
        """Whether the service offers ``alias`` (``binding-extended`` for moves across cells)."""
        return alias in self.list_extensions()

    def create_network(
        self, name: str, *, shared: bool = False, project_id: str | None = None,
        mtu: int | None = None, physical_network: str | None = None,
    ) -> Network:
        """Create a network (shared, other projects' and physnet networks need an admin)."""
        attrs: dict[str, Any] = {"name": name, "shared": shared}
        optional = {"project_id": project_id, "mtu": mtu,
                    "provider:physical_network": physical_network}
        attrs.update({k: v for k, v in optional.items() if v is not None})
        body = self._call("POST", "/networks", {}, json={"network": attrs})
        return Network.from_body(body["network"])

    def get_network(self, network_id: str) -> Network:
        """The network ``network_id``; raises NetworkNotFound."""
        ids = {"network_id": network_id}
        return Network.from_body(self._call("GET", f"/networks/{network_id}", ids)["network"])

    def list_networks(
        self, *, name: str | None = None, project_id: str | None = None,
        shared: bool | None = None,
    ) -> list[Network]:
        """Networks matching the filters."""
        params = {"name": name, "project_id": project_id,
                  "shared": None if shared is None else str(shared)}
        return [Network.from_body(n) for n in self._list("/networks", "networks", params)]

    def delete_network(self, network_id: str) -> None:
        """Delete a network; raises NetworkNotFound, or NetworkInUse while ports remain."""
        self._call("DELETE", f"/networks/{network_id}", {"network_id": network_id})

    def create_port(
        self, network_id: str, *, name: str = "", device_id: str = "", device_owner: str = "",
        host_id: str | None = None, profile: Mapping[str, Any] | None = None,
        vnic_type: str | None = None, fixed_ips: Sequence[Mapping[str, str]] | None = None,
        mac_address: str | None = None, resource_request: Mapping[str, Any] | None = None,
        project_id: str | None = None,
    ) -> Port:
        """Create a port; ``host_id`` binds it at once (an ACTIVE binding).

        Raises:
            NetworkNotFound: no such network.
            IpAddressAlreadyAllocated, MacAddressInUse: a requested address is taken.
        """
        attrs: dict[str, Any] = {
            "network_id": network_id, "name": name, "device_id": device_id,
            "device_owner": device_owner,
        }
        optional = {
            "binding:host_id": host_id, "binding:profile": profile,
            "binding:vnic_type": vnic_type, "mac_address": mac_address,
            "resource_request": resource_request, "project_id": project_id,
            "fixed_ips": None if fixed_ips is None else [dict(ip) for ip in fixed_ips],
        }
        attrs.update({k: v for k, v in optional.items() if v is not None})
        body = self._call("POST", "/ports", {"network_id": network_id}, json={"port": attrs})
        return Port.from_body(body["port"])

    def get_port(self, port_id: str) -> Port:
        """The port ``port_id``; raises PortNotFound."""
        return Port.from_body(self._call("GET", f"/ports/{port_id}", {"port_id": port_id})["port"])

    def list_ports(
        self, *, device_id: str | None = None, network_id: str | None = None,
        project_id: str | None = None, host_id: str | None = None,
    ) -> list[Port]:
        """Ports matching the filters (``host_id``: bound to that host)."""
        params = {"device_id": device_id, "network_id": network_id, "project_id": project_id,
                  "binding:host_id": host_id}
        return [Port.from_body(p) for p in self._list("/ports", "ports", params)]

    def update_port(
        self, port_id: str, *, device_id: str | None = None, device_owner: str | None = None,
        host_id: str | None = None, profile: Mapping[str, Any] | None = None,
        vnic_type: str | None = None, name: str | None = None,
    ) -> Port:
        """Change the given attributes; ``host_id=""`` unbinds the port.

        Raises:
            PortNotFound: no such port.
            PortBindingAlreadyExists: the new host already has an inactive binding.
        """
        changes = {
            "device_id": device_id, "device_owner": device_owner, "binding:host_id": host_id,
            "binding:profile": None if profile is None else dict(profile),
            "binding:vnic_type": vnic_type, "name": name,
        }
        attrs = {k: v for k, v in changes.items() if v is not None}
        body = self._call("PUT", f"/ports/{port_id}", {"port_id": port_id}, json={"port": attrs})
        return Port.from_body(body["port"])

    def delete_port(self, port_id: str) -> None:
        """Delete a port; raises PortNotFound."""
        self._call("DELETE", f"/ports/{port_id}", {"port_id": port_id})

    def list_bindings(self, port_id: str) -> list[PortBinding]:
        """Every binding of the port, active and inactive; raises PortNotFound."""
        body = self._call("GET", f"/ports/{port_id}/bindings", {"port_id": port_id})
        return [PortBinding.from_body(b) for b in body["bindings"]]

    def get_binding(self, port_id: str, host: str) -> PortBinding:
        """The port's binding for ``host``; raises PortNotFound or PortBindingNotFound."""
        ids = {"port_id": port_id, "host": host}
        body = self._call("GET", f"/ports/{port_id}/bindings/{_host(host)}", ids)
        return PortBinding.from_body(body["binding"])

    def create_binding(
        self, port_id: str, host: str, *, vnic_type: str | None = None,
        profile: Mapping[str, Any] | None = None,
    ) -> PortBinding:
        """Bind the port to ``host``: INACTIVE when it is bound elsewhere already.

        Raises:
            PortNotFound: no such port.
            PortBindingAlreadyExists: the port has a binding for ``host``.
        """
        attrs: dict[str, Any] = {"host": host}
        if vnic_type is not None:
            attrs["vnic_type"] = vnic_type
        if profile is not None:
            attrs["profile"] = dict(profile)
        ids = {"port_id": port_id, "host": host}
        body = self._call("POST", f"/ports/{port_id}/bindings", ids, json={"binding": attrs})
        return PortBinding.from_body(body["binding"])

    def activate_binding(self, port_id: str, host: str) -> PortBinding:
        """Make the binding for ``host`` active; the previously active one goes INACTIVE.

        Raises:
            PortNotFound, PortBindingNotFound: no such port or binding.
            PortBindingAlreadyActive: the binding is active already.
        """
        ids = {"port_id": port_id, "host": host}
        body = self._call("PUT", f"/ports/{port_id}/bindings/{_host(host)}/activate", ids)
        return PortBinding.from_body(body["binding"])

    def delete_binding(self, port_id: str, host: str) -> None:
        """Delete the port's inactive binding for ``host``; raises PortBindingNotFound."""
        ids = {"port_id": port_id, "host": host}
        self._call("DELETE", f"/ports/{port_id}/bindings/{_host(host)}", ids)

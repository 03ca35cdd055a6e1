"""Port binding state transitions and the network list query parser (no database)."""

import pytest

from cirrus import exception
from cirrus.db.services import models
from cirrus.network import bindings, filters


def _port(*hosts_and_statuses, owner="compute:nova"):
    port = models.Port(id="port-1", device_owner=owner, vnic_type="normal", bindings=[])
    for host, status in hosts_and_statuses:
        port.bindings.append(models.PortBinding(host=host, status=status, vif_type="ovs",
                                                vnic_type="normal", profile={}, vif_details={}))
    return port


def _state(port):
    return sorted((b.host, b.status) for b in port.bindings)


def test_first_binding_is_active_later_ones_inactive():
    port = _port()
    assert bindings.create_binding(port, "src").status == "ACTIVE"
    created = bindings.create_binding(port, "dest", profile={"k": "v"}, vnic_type="direct")
    assert (created.status, created.profile) == ("INACTIVE", {"k": "v"})
    assert created.vnic_type == "direct"
    assert created.vif_details == bindings.vif_details()
    assert _state(port) == [("dest", "INACTIVE"), ("src", "ACTIVE")]


def test_duplicate_host_conflicts():
    port = _port(("src", "ACTIVE"))
    with pytest.raises(exception.PortBindingAlreadyExists):
        bindings.create_binding(port, "src")


def test_only_compute_ports_get_extra_bindings():
    with pytest.raises(exception.Invalid):
        bindings.create_binding(_port(owner="network:dhcp"), "h")


def test_activate_swaps_active_binding():
    port = _port(("src", "ACTIVE"), ("dest", "INACTIVE"))
    assert bindings.activate_binding(port, "dest").status == "ACTIVE"
    assert _state(port) == [("dest", "ACTIVE"), ("src", "INACTIVE")]
    assert bindings.active_binding(port).host == "dest"


def test_activate_without_active_binding():
    port = _port(("dest", "INACTIVE"))
    bindings.activate_binding(port, "dest")
    assert _state(port) == [("dest", "ACTIVE")]


def test_activate_errors():
    port = _port(("src", "ACTIVE"))
    with pytest.raises(exception.PortBindingAlreadyActive):
        bindings.activate_binding(port, "src")
    with pytest.raises(exception.PortBindingNotFound):
        bindings.activate_binding(port, "nowhere")
    assert _state(port) == [("src", "ACTIVE")]


def test_delete_only_inactive_bindings():
    port = _port(("src", "INACTIVE"), ("dest", "ACTIVE"))
    with pytest.raises(exception.PortBindingNotFound):
        bindings.delete_binding(port, "dest")
    with pytest.raises(exception.PortBindingNotFound):
        bindings.delete_binding(port, "nowhere")
    bindings.delete_binding(port, "src")
    assert _state(port) == [("dest", "ACTIVE")]


def test_set_host_creates_moves_and_removes_the_active_binding():
    port = _port()
    bindings.set_host(port, "h1")
    assert _state(port) == [("h1", "ACTIVE")]
    bindings.set_profile(port, {"pci_slot": "0000:01"})
    bindings.set_host(port, "h2")
    assert _state(port) == [("h2", "ACTIVE")]
    assert bindings.active_binding(port).profile == {"pci_slot": "0000:01"}
    bindings.set_host(port, "h2")
    assert _state(port) == [("h2", "ACTIVE")]
    bindings.set_host(port, "")
    assert _state(port) == []
    bindings.set_host(port, "")
    assert bindings.active_binding(port) is None


def test_set_host_onto_an_inactive_binding_conflicts():
    port = _port(("src", "ACTIVE"), ("dest", "INACTIVE"))
    with pytest.raises(exception.PortBindingAlreadyExists):
        bindings.set_host(port, "dest")
    assert _state(port) == [("dest", "INACTIVE"), ("src", "ACTIVE")]


def test_unbinding_keeps_inactive_bindings():
    port = _port(("src", "ACTIVE"), ("dest", "INACTIVE"))
    bindings.set_host(port, "")
    assert _state(port) == [("dest", "INACTIVE")]


def test_profile_needs_a_bound_port():
    port = _port()
    bindings.set_profile(port, {})
    with pytest.raises(exception.Invalid):
        bindings.set_profile(port, {"a": 1})


ALLOWED = frozenset({"name", "device_id", "shared"})
SORTS = frozenset({"name", "id"})


def test_filters_repeat_and_paging():
    query = filters.parse({"name": ["a", "b"], "limit": "2", "marker": "m", "fields": ["id,name"],
                           "sort_key": ["name", "id"], "sort_dir": ["asc", "desc"]},
                          ALLOWED, SORTS)
    assert query.filters == {"name": ("a", "b")}
    assert (query.limit, query.marker, query.fields) == (2, "m", ("id", "name"))
    assert query.sort == (("name", "asc"), ("id", "desc"))
    assert filters.parse({"sort_key": "name"}, ALLOWED, SORTS).sort == (("name", "asc"),)
    assert filters.parse({"limit": "0"}, ALLOWED, SORTS).limit is None


@pytest.mark.parametrize("params", [
    {"colour": "red"}, {"limit": "-1"}, {"limit": "²"}, {"limit": "x"},
    {"sort_key": "mtu"}, {"sort_key": "name", "sort_dir": "up"},
    {"sort_key": "name", "sort_dir": ["asc", "desc"]},
])
def test_filter_rejections(params):
    with pytest.raises(exception.Invalid):
        filters.parse(params, ALLOWED, SORTS)


@pytest.mark.parametrize(("text", "value"), [("True", True), ("true", True), ("1", True),
                                             ("False", False), ("0", False)])
def test_booleans(text, value):
    assert filters.to_bool("shared", text) is value


def test_bad_boolean():
    with pytest.raises(exception.Invalid, match="not a valid boolean"):
        filters.to_bool("shared", "yes")


def test_select_fields():
    body = {"id": "1", "name": "n", "mtu": 1500}
    assert filters.select_fields(body, ()) == body
    assert filters.select_fields(body, ("id", "mtu")) == {"id": "1", "mtu": 1500}

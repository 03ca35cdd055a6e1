"""Stop, start, reboot, recovery from ERROR by hard reboot, and delete in every state."""

import dataclasses

from cirrus import exception
from cirrus.objects import service as service_obj
from tests.functional import helpers


def _host(admin, server_id):
    return admin.compute.get_server(server_id).compute_host


def test_stop_start_reboot(cloud, member):
    server = helpers.boot(member, "power")
    helpers.wait_status(member, server.id, "ACTIVE")
    member.compute.stop_server(server.id)
    stopped = helpers.wait_status(member, server.id, "SHUTOFF")
    assert stopped.power_state == 4 and stopped.vm_state == "stopped"
    member.compute.start_server(server.id)
    assert helpers.wait_status(member, server.id, "ACTIVE").power_state == 1
    member.compute.reboot_server(server.id, "SOFT")
    helpers.wait_status(member, server.id, "ACTIVE")
    actions = [a.action for a in member.compute.server_actions(server.id)]
    assert actions == ["reboot", "start", "stop", "create"]
    member.compute.delete_server(server.id)
    helpers.wait_gone(member, server.id)


def test_failed_reboot_then_hard_reboot_recovers(cloud, member, admin):
    server = helpers.boot(member, "recover")
    helpers.wait_status(member, server.id, "ACTIVE")
    driver = cloud.computes[_host(admin, server.id)].driver
    driver.fail_next("reboot", exception.DriverError(method="reboot", reason="injected"))
    member.compute.reboot_server(server.id, "SOFT")
    failed = helpers.wait_status(member, server.id, "ERROR")
    assert "injected" in failed.fault["message"]
    driver.destroy(server.id)
    member.compute.reboot_server(server.id, "HARD")
    recovered = helpers.wait_status(member, server.id, "ACTIVE")
    assert recovered.power_state == 1
    assert driver.guest(server.id) is not None
    member.compute.delete_server(server.id)
    helpers.wait_gone(member, server.id)


def test_failed_build_is_error_with_no_host_and_no_allocations(cloud, member, admin):
    for manager in cloud.computes.values():
        manager.driver.fail_next("spawn", exception.DriverError(method="spawn",
                                                                reason="no disk"))
    try:
        server = helpers.boot(member, "broken")
        failed = helpers.wait_status(member, server.id, "ERROR")
        assert "no disk" in failed.fault["message"]
        assert admin.compute.get_server(server.id).compute_host is None
        assert helpers.allocations(cloud, server.id) == {}
        member.compute.delete_server(server.id)
        helpers.wait_gone(member, server.id)
    finally:
        for manager in cloud.computes.values():
            manager.driver.clear_faults()


def test_delete_stopped_server(cloud, member):
    server = helpers.boot(member, "stopped-delete")
    helpers.wait_status(member, server.id, "ACTIVE")
    member.compute.stop_server(server.id)
    helpers.wait_status(member, server.id, "SHUTOFF")
    member.compute.delete_server(server.id)
    helpers.wait_gone(member, server.id)
    assert helpers.allocations(cloud, server.id) == {}


def test_delete_while_compute_is_down_is_local(cloud, member, admin):
    server = helpers.boot(member, "host-down")
    helpers.wait_status(member, server.id, "ACTIVE")
    host = _host(admin, server.id)
    cell = helpers.cell_of(cloud, server.id)
    with cloud.runtime.cell_session(cell) as s:
        svc = service_obj.get_by_host_binary(s, host, "cirrus-compute")
        service_obj.update_status(s, svc.id, forced_down=True)
    try:
        member.compute.delete_server(server.id)
        helpers.wait_gone(member, server.id)
        assert helpers.allocations(cloud, server.id) == {}
    finally:
        with cloud.runtime.cell_session(cell) as s:
            service_obj.update_status(s, svc.id, forced_down=False)
        cloud.computes[host].driver.destroy(server.id)


def test_list_survives_a_cell_that_does_not_answer(cloud, member, monkeypatch):
    servers = {z: helpers.boot(member, f"down-{z}", zone=z) for z in ("cell1", "cell2")}
    for server in servers.values():
        helpers.wait_status(member, server.id, "ACTIVE")
    real_cells = cloud.runtime.cells

    def _broken(**kwargs):
        return [dataclasses.replace(c, database_connection="sqlite:////nonexistent/x.db")
                if c.name == "cell2" else c for c in real_cells(**kwargs)]

    monkeypatch.setattr(cloud.runtime, "cells", _broken)
    old = helpers.raw(cloud, member, "GET", "/servers/detail", version="2.68")
    assert old.status_code == 200
    ids = {s["id"] for s in old.json()["servers"]}
    assert servers["cell1"].id in ids and servers["cell2"].id not in ids
    new = helpers.raw(cloud, member, "GET", "/servers/detail", version="2.69")
    by_id = {s["id"]: s for s in new.json()["servers"]}
    assert by_id[servers["cell2"].id]["status"] == "UNKNOWN"
    assert set(by_id[servers["cell2"].id]) == {"id", "status", "tenant_id", "created", "links"}
    monkeypatch.undo()
    for server in servers.values():
        member.compute.delete_server(server.id)
        helpers.wait_gone(member, server.id)


def test_failed_build_is_rescheduled_to_an_alternate(cloud, member, admin):
    from cirrus.objects import instance_action

    filler = helpers.boot(admin, "filler", flavor="3", zone="cell1:cell1-host2")
    helpers.wait_status(admin, filler.id, "ACTIVE")
    first = cloud.computes["cell1-host1"].driver
    first.fail_next("spawn", exception.DriverError(method="spawn", reason="bad host"))
    try:
        server = helpers.boot(member, "resched", zone="cell1")
        active = helpers.wait_status(member, server.id, "ACTIVE")
        assert _host(admin, active.id) == "cell1-host2"
        assert list(helpers.allocations(cloud, server.id)) == [
            helpers.provider_of(cloud, "cell1-host2")]
        assert first.guest(server.id) is None
        cell = helpers.cell_of(cloud, server.id)
        with cloud.runtime.cell_session(cell) as s:
            action = instance_action.get_all(s, server.id)[0]
            events = instance_action.get_by_request_id(s, server.id, action.request_id).events
        assert [(e.host, e.result) for e in events] == [
            ("cell1-host1", "Error"), ("cell1-host2", "Success")]
        member.compute.delete_server(server.id)
        helpers.wait_gone(member, server.id)
    finally:
        first.clear_faults()
        admin.compute.delete_server(filler.id)
        helpers.wait_gone(admin, filler.id)


def test_a_rescheduled_build_keeps_the_port_it_was_given(cloud, member, admin):
    """The failed host lets go of the user's port without deleting it, and the
    alternate binds it."""
    net = member.network.find_network("private")
    own = member.network.create_port(network_id=net.id, name="mine-resched")
    filler = helpers.boot(admin, "filler-port", flavor="3", zone="cell1:cell1-host2")
    helpers.wait_status(admin, filler.id, "ACTIVE")
    first = cloud.computes["cell1-host1"].driver
    first.fail_next("spawn", exception.DriverError(method="spawn", reason="bad host"))
    try:
        server = helpers.boot(member, "resched-port", zone="cell1",
                              networks=[{"port": own.id}])
        active = helpers.wait_status(member, server.id, "ACTIVE")
        assert _host(admin, active.id) == "cell1-host2"
        bound = cloud.runtime.network.get_port(own.id)
        assert (bound.device_id, bound.host_id) == (server.id, "cell1-host2")
        assert [a["addr"] for a in active.addresses["private"]] == [
            ip.ip_address for ip in bound.fixed_ips]
        member.compute.delete_server(server.id)
        helpers.wait_gone(member, server.id)
        assert cloud.runtime.network.get_port(own.id).device_id == ""
    finally:
        first.clear_faults()
        admin.compute.delete_server(filler.id)
        helpers.wait_gone(admin, filler.id)
        member.network.delete_port(own.id)


def test_build_fails_for_good_when_alternates_run_out(cloud, member):
    for host in ("cell1-host1", "cell1-host2"):
        cloud.computes[host].driver.fail_next(
            "spawn", exception.DriverError(method="spawn", reason="bad host"))
    try:
        server = helpers.boot(member, "no-luck", zone="cell1")
        failed = helpers.wait_status(member, server.id, "ERROR")
        assert failed.fault["message"].startswith("Exceeded maximum number of retries")
        assert helpers.allocations(cloud, server.id) == {}
        member.compute.delete_server(server.id)
        helpers.wait_gone(member, server.id)
    finally:
        for host in ("cell1-host1", "cell1-host2"):
            cloud.computes[host].driver.clear_faults()

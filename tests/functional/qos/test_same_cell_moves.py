"""Resize and cold migration within a cell of a server with a bandwidth port.

The destination's claim holds the port's bandwidth on the destination's provider, the
migration consumer keeps the source's until a confirm or a revert, and the port's
binding profile follows the server.
"""

import pytest

from tests.functional import helpers
from tests.functional.moves import faults
from tests.functional.moves import helpers as mv
from tests.functional.qos import helpers as qh


@pytest.fixture(scope="module")
def net(cloud):
    with qh.physnet_network(cloud, "qos-same-cell") as created:
        yield created


def _books(cloud, admin, server_id, mig_uuid):
    return mv.allocations_by_consumer(cloud, server_id, mig_uuid)


def test_migrate_then_confirm(cloud, member, admin, notifications, net):
    port = qh.qos_port(cloud, member, net, qh.bw(1000))
    with qh.qos_server(cloud, member, admin, "qos-mig", [port], zone="cell2") as created:
        source = mv.host_of(admin, created.id)
        dest = mv.other_host(source)
        mv.migrate_and_wait(cloud, admin, notifications, created.id)
        (mig,) = mv.migrations_of(cloud, admin, created.id)
        assert (mig["source_compute"], mig["dest_compute"]) == (source, dest)
        assert _books(cloud, admin, created.id, mig["uuid"]) == {
            created.id: qh.held(cloud, admin, dest, "1", 1000),
            mig["uuid"]: qh.held(cloud, admin, source, "1", 1000)}
        bound = cloud.runtime.network.get_port(port.id)
        assert (bound.host_id, bound.profile) == (
            dest, {"allocation": qh.bw_provider(cloud, dest)})
        mv.check(cloud, created.id)
        mv.confirm_and_wait(cloud, member, notifications, created.id)
        assert _books(cloud, admin, created.id, mig["uuid"]) == {
            created.id: qh.held(cloud, admin, dest, "1", 1000), mig["uuid"]: {}}
        assert qh.profile_allocation(cloud, port.id) == qh.bw_provider(cloud, dest)
        mv.check(cloud, created.id)


def test_resize_then_revert(cloud, member, admin, notifications, net):
    port = qh.qos_port(cloud, member, net, qh.bw(1500))
    with qh.qos_server(cloud, member, admin, "qos-rev", [port], zone="cell2") as created:
        source = mv.host_of(admin, created.id)
        mv.resize_and_wait(cloud, member, notifications, created.id, "2")
        (mig,) = mv.migrations_of(cloud, admin, created.id)
        dest = mig["dest_compute"]
        assert dest != source
        assert _books(cloud, admin, created.id, mig["uuid"]) == {
            created.id: qh.held(cloud, admin, dest, "2", 1500),
            mig["uuid"]: qh.held(cloud, admin, source, "1", 1500)}
        assert qh.profile_allocation(cloud, port.id) == qh.bw_provider(cloud, dest)
        mv.check(cloud, created.id)
        mv.revert_and_wait(cloud, member, notifications, created.id)
        assert mv.host_of(admin, created.id) == source
        assert _books(cloud, admin, created.id, mig["uuid"]) == {
            created.id: qh.held(cloud, admin, source, "1", 1500), mig["uuid"]: {}}
        bound = cloud.runtime.network.get_port(port.id)
        assert (bound.host_id, bound.profile) == (
            source, {"allocation": qh.bw_provider(cloud, source)})
        mv.check(cloud, created.id)


def test_no_host_of_the_cell_has_the_bandwidth(cloud, member, admin, notifications, net):
    # 5000 fits only cell1-host1; its cell's other host has 2000.
    port = qh.qos_port(cloud, member, net, qh.bw(5000))
    with qh.qos_server(cloud, member, admin, "qos-stuck", [port], zone="cell1") as created:
        before = helpers.allocations(cloud, created.id)
        faults.migrate(cloud, admin, created.id)
        srv = faults.settled(cloud, admin, created.id, "ACTIVE", "error", "migrate",
                             "cold_migrate")
        assert srv.compute_host == "cell1-host1"
        events = faults.api_events(cloud, admin, created.id, "migrate")
        assert "No valid host" in events["cold_migrate"]["details"]
        mig = faults.only_migration(cloud, created.id)
        assert helpers.allocations(cloud, created.id) == before
        assert helpers.allocations(cloud, mig.uuid) == {}
        assert qh.profile_allocation(cloud, port.id) == qh.bw_provider(cloud, "cell1-host1")
        mv.check(cloud, created.id)


@pytest.mark.parametrize("step", ["finish_resize", "revert_at_dest", "revert_at_source"])
def test_a_failed_step_leaves_bandwidth_and_binding_together(cloud, member, admin, net,
                                                             step):
    port = qh.qos_port(cloud, member, net, qh.bw(900))
    with qh.qos_server(cloud, member, admin, f"qos-{step}", [port], zone="cell2") as created:
        source = mv.host_of(admin, created.id)
        dest = mv.other_host(source)
        with faults.fail_once(cloud, dest if step != "revert_at_source" else source, {
                "finish_resize": "finish_migration", "revert_at_dest": "destroy",
                "revert_at_source": "finish_revert_migration"}[step]):
            faults.resize(cloud, member, created.id, "2")
            if step != "finish_resize":
                faults.verify_resize(cloud, member, created.id)
                faults.revert(cloud, member, created.id)
            srv = faults.settled(cloud, admin, created.id, "ERROR", "error")
        # A failed finish keeps the server on the destination; a failed revert puts it
        # back on the source.
        host = dest if step == "finish_resize" else source
        flavor_id = "2" if step == "finish_resize" else "1"
        assert srv.compute_host == host
        mig = faults.only_migration(cloud, created.id)
        assert mv.allocations_by_consumer(cloud, created.id, mig.uuid) == {
            created.id: qh.held(cloud, admin, host, flavor_id, 900), mig.uuid: {}}
        bound = cloud.runtime.network.get_port(port.id)
        assert (bound.host_id, bound.profile) == (
            host, {"allocation": qh.bw_provider(cloud, host)})
        mv.check(cloud, created.id)
        faults.hard_reboot(cloud, member, created.id)
        assert helpers.allocations(cloud, created.id) == qh.held(cloud, admin, host,
                                                               flavor_id, 900)
        mv.check(cloud, created.id)

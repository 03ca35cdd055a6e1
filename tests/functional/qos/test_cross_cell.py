"""Cross-cell resize and cold migration of a server with a bandwidth port.

Nova refuses these (bug 1907522: it schedules within the source cell only). Here the
destination's claim holds the port's bandwidth on the destination's provider; the
destination's inactive binding names it, becomes the active one at the switch, and the
source's binding keeps naming the source's provider for a revert.
"""

import pytest

from cirrus import exception
from cirrus.testing.waiters import wait_for
from tests.functional import helpers
from tests.functional.moves import faults
from tests.functional.moves import helpers as mv
from tests.functional.moves.test_cross_cell import _flaky_claims, only_other_cell
from tests.functional.moves.test_cross_cell_crash import FLIPPED, crash, restart_and_recover
from tests.functional.qos import helpers as qh


@pytest.fixture(autouse=True, scope="module")
def cross_cell_allowed(cloud):
    with mv.cross_cell_allowed(cloud):
        yield


@pytest.fixture(scope="module")
def net(cloud):
    with qh.physnet_network(cloud, "qos-cross-cell") as created:
        yield created


@pytest.fixture(autouse=True)
def no_hook_left(cloud):
    yield
    cloud.superconductor.cross_cell.before_step = None


def _bindings(cloud, port_id):
    """{host: (status, allocation named in the profile)} of every binding of the port."""
    return {b.host: (b.status, b.profile.get("allocation"))
            for b in cloud.runtime.network.list_bindings(port_id)}


def _migrate_across(cloud, admin, notifications, server_id, port_id, kbps):
    source = mv.host_of(admin, server_id)
    dest = mv.across(source, 2)
    mv.migrate_and_wait(cloud, admin, notifications, server_id, host=dest)
    (mig,) = mv.migrations_of(cloud, admin, server_id)
    assert (mig["source_compute"], mig["dest_compute"]) == (source, dest)
    assert mv.allocations_by_consumer(cloud, server_id, mig["uuid"]) == {
        server_id: qh.held(cloud, admin, dest, "1", kbps),
        mig["uuid"]: qh.held(cloud, admin, source, "1", kbps)}
    assert _bindings(cloud, port_id) == {
        dest: ("ACTIVE", qh.bw_provider(cloud, dest)),
        source: ("INACTIVE", qh.bw_provider(cloud, source))}
    mv.check(cloud, server_id)
    return source, dest, mig


@pytest.mark.parametrize("end", ["confirm", "revert"])
def test_migrate_across_cells_then_confirm_or_revert(cloud, member, admin, notifications,
                                                     net, end):
    port = qh.qos_port(cloud, member, net, qh.bw(1000))
    with qh.qos_server(cloud, member, admin, f"qos-xc-{end}", [port]) as created:
        source, dest, mig = _migrate_across(cloud, admin, notifications, created.id,
                                            port.id, 1000)
        if end == "confirm":
            mv.confirm_and_wait(cloud, member, notifications, created.id)
        else:
            mv.revert_and_wait(cloud, member, notifications, created.id)
        # The server's host, with the flavor it ends with: only it holds anything.
        host = dest if end == "confirm" else source
        assert mv.host_of(admin, created.id) == host
        assert mv.allocations_by_consumer(cloud, created.id, mig["uuid"]) == {
            created.id: qh.held(cloud, admin, host, "1", 1000), mig["uuid"]: {}}
        assert _bindings(cloud, port.id) == {host: ("ACTIVE", qh.bw_provider(cloud, host))}
        mv.check(cloud, created.id)


def test_bandwidth_only_in_the_other_cell(cloud, member, admin, notifications, net):
    # 5000 fits cell1-host1 and cell2-host2 only, one per cell: Nova would stay in the
    # source cell and fail.
    port = qh.qos_port(cloud, member, net, qh.bw(5000))
    with qh.qos_server(cloud, member, admin, "qos-xc-only", [port]) as created:
        source = mv.host_of(admin, created.id)
        (dest,) = {"cell1-host1", "cell2-host2"} - {source}
        mv.migrate_and_wait(cloud, admin, notifications, created.id)
        assert mv.host_of(admin, created.id) == dest
        assert helpers.cell_of(cloud, created.id).name == dest.split("-")[0]
        assert qh.profile_allocation(cloud, port.id) == qh.bw_provider(cloud, dest)
        mv.check(cloud, created.id)
        mv.confirm_and_wait(cloud, member, notifications, created.id)
        mv.check(cloud, created.id)


def test_a_refused_destination_hands_the_bandwidth_to_its_alternate(
        cloud, member, admin, notifications, monkeypatch, net):
    """The first host of the other cell refuses its claim; the alternate's claim, not the
    refused one's, holds the bandwidth, and the bindings name the alternate's provider."""
    port = qh.qos_port(cloud, member, net, qh.bw(1200))
    with qh.qos_server(cloud, member, admin, "qos-xc-alternate", [port]) as created:
        source = mv.host_of(admin, created.id)
        asked = _flaky_claims(cloud, monkeypatch, (mv.across(source, 1), mv.across(source, 2)),
                              1)
        with only_other_cell(cloud, admin, source):
            mv.resize_and_wait(cloud, member, notifications, created.id, "2")
        assert len(asked) == 2 and asked[0] != asked[1]
        refused, dest = asked
        assert mv.host_of(admin, created.id) == dest
        (mig,) = mv.migrations_of(cloud, admin, created.id)
        assert mv.journal_of(cloud, mig["uuid"]) == [("resize", "rolled-back"),
                                                     ("resize", "done")]
        assert mv.allocations_by_consumer(cloud, created.id, mig["uuid"]) == {
            created.id: qh.held(cloud, admin, dest, "2", 1200),
            mig["uuid"]: qh.held(cloud, admin, source, "1", 1200)}
        assert helpers.allocations(cloud, created.id).get(qh.bw_provider(cloud, refused)) \
            is None
        assert _bindings(cloud, port.id) == {
            dest: ("ACTIVE", qh.bw_provider(cloud, dest)),
            source: ("INACTIVE", qh.bw_provider(cloud, source))}
        mv.check(cloud, created.id)
        mv.confirm_and_wait(cloud, member, notifications, created.id)
        assert mv.allocations_by_consumer(cloud, created.id, mig["uuid"]) == {
            created.id: qh.held(cloud, admin, dest, "2", 1200), mig["uuid"]: {}}
        assert _bindings(cloud, port.id) == {dest: ("ACTIVE", qh.bw_provider(cloud, dest))}
        mv.check(cloud, created.id)


@pytest.mark.parametrize("fault", [("dest", "spawn"), ("step", "SwitchMapping")],
                         ids=["dest-spawn", "before-SwitchMapping"])
def test_a_failed_move_gives_the_bandwidth_back(cloud, member, admin, notifications, net,
                                                fault):
    port = qh.qos_port(cloud, member, net, qh.bw(800))
    with qh.qos_server(cloud, member, admin, f"qos-xc-{fault[1]}", [port]) as created:
        source = mv.host_of(admin, created.id)
        dest = mv.across(source, 2)
        with _injected(cloud, fault, dest):
            faults.migrate(cloud, admin, created.id, host=dest)
            srv = faults.settled(cloud, admin, created.id, "ERROR", "error")
        assert srv.compute_host == source
        mig = faults.only_migration(cloud, created.id)
        assert mv.journal_of(cloud, mig.uuid) == [("resize", "rolled-back")]
        assert mv.allocations_by_consumer(cloud, created.id, mig.uuid) == {
            created.id: qh.held(cloud, admin, source, "1", 800), mig.uuid: {}}
        assert _bindings(cloud, port.id) == {
            source: ("ACTIVE", qh.bw_provider(cloud, source))}
        mv.check(cloud, created.id)
        # A hard reboot brings the server back with its bandwidth still held.
        faults.hard_reboot(cloud, member, created.id)
        assert helpers.allocations(cloud, created.id) == qh.held(cloud, admin, source, "1", 800)
        mv.check(cloud, created.id)


def _injected(cloud, fault, dest):
    where, what = fault
    if where == "step":
        return _step_fails(cloud, what)
    return faults.fail_once(cloud, dest, what)


class _step_fails:  # noqa: N801 (a context manager used like a function)
    def __init__(self, cloud, name):
        self._mover = cloud.superconductor.cross_cell
        self._name = name
        self.fired = []

    def __enter__(self):
        def hook(step):
            if step == self._name and not self.fired:
                self.fired.append(step)
                raise exception.MigrationError(reason=f"injected before {step}")

        self._mover.before_step = hook
        return self

    def __exit__(self, *exc):
        self._mover.before_step = None
        assert self.fired, f"step {self._name} never ran"


@pytest.mark.parametrize("step", ["PrepResizeAtSource", "FinishResizeAtDest", FLIPPED])
def test_a_superconductor_crash_is_recovered_with_the_bandwidth(
        cloud, member, admin, notifications, monkeypatch, net, step):
    port = qh.qos_port(cloud, member, net, qh.bw(600))
    with qh.qos_server(cloud, member, admin, f"qos-xc-crash-{step}", [port]) as created:
        source = mv.host_of(admin, created.id)
        dest = mv.across(source, 2)
        with crash(cloud, monkeypatch, "resize", step) as dead:
            faults.migrate(cloud, admin, created.id, host=dest)
            mig = wait_for(lambda: faults.migrations(cloud, created.id), 10,
                           what="migration")[-1]
            entry = dead.wait(mig.uuid)
        restart_and_recover(cloud, entry)
        books = mv.allocations_by_consumer(cloud, created.id, mig.uuid)
        if step == FLIPPED:
            # The mapping had flipped: the successor finishes the move.
            helpers.wait_status(admin, created.id, "VERIFY_RESIZE")
            assert books == {created.id: qh.held(cloud, admin, dest, "1", 600),
                             mig.uuid: qh.held(cloud, admin, source, "1", 600)}
            assert _bindings(cloud, port.id) == {
                dest: ("ACTIVE", qh.bw_provider(cloud, dest)),
                source: ("INACTIVE", qh.bw_provider(cloud, source))}
        else:
            touched = step == "FinishResizeAtDest"
            helpers.wait_status(member, created.id, "ERROR" if touched else "ACTIVE")
            assert books == {created.id: qh.held(cloud, admin, source, "1", 600),
                             mig.uuid: {}}
            assert _bindings(cloud, port.id) == {
                source: ("ACTIVE", qh.bw_provider(cloud, source))}
        mv.check(cloud, created.id)

"""Processes killed (SIGKILL) in the middle of cross-cell moves, then started again.

A test-only hook (``[testing] pause_at``, cirrus.pause_points) stops the process at a
named step; the test kills it there and starts it again without the hook. With no manual
step the move then ends rolled back or finished, and DESIGN §4's invariants hold (I1-I4,
I6: read from the databases, Placement, the image service and the hosts' disk files;
I4 compares bytes the guest wrote before the move).

On PostgreSQL the superconductor is killed before each step of a cross-cell resize,
confirm and revert; the source and the destination compute inside their part of a
resize, the source inside a confirm and the destination inside a revert; the scheduler
while it chooses a host. On MariaDB a representative subset runs (``mariadb_subset``:
two resize steps, one of confirm and of revert, one compute), to keep the real tier's
time in budget; the scheduler, broker and database cases run on PostgreSQL only.
"""

import time

import pytest

from cirrus.db.base import utcnow
from cirrus.objects import migration as migration_obj
from cirrus.objects import move_journal as journal_obj
from cirrus.objects.move_journal import State
from cirrus.testing.waiters import wait_for
from tests.real import helpers as h
from tests.real.invariants import RealView

RESIZE_STEPS = ("TargetDBSetup", "PrepResizeAtDest", "PrepResizeAtSource",
                "FinishResizeAtDest", "SwitchMapping")
CONFIRM_STEPS = ("CleanupSourceHost", "DeleteSourceCopy", "FinishConfirmInTarget")
REVERT_STEPS = ("UpdateSourceCell", "SwitchBack", "RevertAtDest", "DeleteTargetCopy",
                "FinishRevertAtSource")
MARIADB_SUBSET = ("PrepResizeAtDest", "FinishResizeAtDest", "DeleteSourceCopy",
                  "RevertAtDest")
SOURCE, DEST = "cell1-host1", "cell2-host1"
DATA = b"written by the guest before the move\n" * 64


@pytest.fixture
def view(real):
    view = RealView(real)
    yield view
    view.close()


def _journal_closed(view, mig_uuid, operation):
    def _closed():
        with view.runtime.api_reader() as s:
            entries = [e for e in journal_obj.for_migration(s, mig_uuid)
                       if e.operation == operation]
        return entries and entries[-1].state in (State.DONE, State.ROLLED_BACK) and entries[-1]

    return wait_for(_closed, 120, interval=0.5, what=f"{operation} of {mig_uuid} settled")


def _migration(view, cell, uuid):
    def _one():
        with view.runtime.cell_reader(view.cell(cell)) as s:
            return migration_obj.get_all(s, instance_uuid=uuid)

    return wait_for(_one, 60, interval=0.5, what=f"a migration of {uuid}")[-1]


def _settled(admin, uuid, statuses):
    def _check():
        server = admin.compute.get_server(uuid)
        return server.status in statuses and not server.task_state and server

    return wait_for(_check, 120, interval=0.5, what=f"{uuid} in {statuses}")


@pytest.mark.mariadb_subset(MARIADB_SUBSET)
@pytest.mark.parametrize("step", RESIZE_STEPS)
def test_superconductor_killed_during_resize(real, view, step):
    admin = h.conn(real, "admin")
    server = h.boot(admin, f"kill-sc-{step}", SOURCE)
    view.driver(SOURCE).write_disk(server.id, 4096, DATA)
    with real.paused_at("superconductor", step) as paused:
        admin.compute.migrate_server(server, host=DEST)
        paused()
        mig = _migration(view, "cell1", server.id)
    entry = _journal_closed(view, mig.uuid, "resize")
    assert entry.state == State.ROLLED_BACK, entry
    touched = RESIZE_STEPS.index(step) > RESIZE_STEPS.index("PrepResizeAtSource")
    srv = _settled(admin, server.id, {"ERROR" if touched else "ACTIVE"})
    assert srv.compute_host == SOURCE and h.mapping_cell(real, server.id) == "cell1"
    if touched:
        assert "superconductor stopped" in srv.fault["message"], srv.fault
    view.check(server.id)
    assert [m[1] for m in h.migrations(admin, server.id)] == ["error"]
    assert h.allocations(admin, mig.uuid) == {}
    if touched:
        admin.compute.reboot_server(server, "HARD")
        _settled(admin, server.id, {"ACTIVE"})
        view.check(server.id)
    assert view.driver(SOURCE).read_disk(server.id, 4096, len(DATA)) == DATA
    h.delete(admin, server)
    real.check_alive()


# A step the superconductor is inside when it dies: the compute it called holds it there.
INSIDE = {"PrepResizeAtSource": (SOURCE, "prep_snapshot_based_resize_at_source"),
          "FinishResizeAtDest": (DEST, "finish_snapshot_based_resize_at_dest")}


@pytest.mark.postgresql_only
@pytest.mark.parametrize("step", sorted(INSIDE))
def test_superconductor_killed_inside_a_step(real, view, step):
    """The superconductor dies while a compute works on its step. The new one rolls the
    resize back; only then does the compute finish its part of a move that is over, which
    must change nothing: the server ends usable on its source with its data."""
    host, method = INSIDE[step]
    admin = h.conn(real, "admin")
    server = _with_data(view, admin, f"kill-sc-inside-{step}")
    with real.paused_at(host, method) as paused:
        _held(real, admin, server, host, paused)
        mig = _migration(view, "cell1", server.id)
        real.restart("superconductor")
        assert _journal_closed(view, mig.uuid, "resize").state == State.ROLLED_BACK
        paused.release()
        # The compute's late part has no end to wait for (its answer goes to a process
        # that is gone); a local disk step of this size takes well under a second.
        time.sleep(5)
    _settled(admin, server.id, {"ACTIVE", "ERROR"})
    assert [m[1] for m in h.migrations(admin, server.id)] == ["error"]
    assert h.allocations(admin, mig.uuid) == {}
    assert _usable(real, view, admin, server).compute_host == SOURCE


def _moved_across(real, view, admin, name):
    """A server with guest data, moved from SOURCE to DEST and waiting in VERIFY_RESIZE."""
    server = h.boot(admin, name, SOURCE)
    view.driver(SOURCE).write_disk(server.id, 4096, DATA)
    admin.compute.migrate_server(server, host=DEST)
    assert h.wait_status(admin, server.id, "VERIFY_RESIZE").compute_host == DEST
    view.check(server.id)
    return server, _migration(view, "cell2", server.id)


def _ends_on(real, view, admin, server, host, cell):
    srv = _settled(admin, server.id, {"ACTIVE"})
    assert srv.compute_host == host and h.mapping_cell(real, server.id) == cell
    view.check(server.id)
    assert view.driver(host).read_disk(server.id, 4096, len(DATA)) == DATA
    h.delete(admin, server)
    real.check_alive()


# Where each operation leaves the server, and the migration, once it is finished.
ENDS = {"confirm": (DEST, "cell2", "confirmed"), "revert": (SOURCE, "cell1", "reverted")}


def _finish(admin, server, operation):
    if operation == "confirm":
        admin.compute.confirm_server_resize(server)
    else:
        admin.compute.revert_server_resize(server)


@pytest.mark.mariadb_subset(MARIADB_SUBSET)
@pytest.mark.parametrize(("operation", "step"), [
    *(("confirm", step) for step in CONFIRM_STEPS),
    *(("revert", step) for step in REVERT_STEPS)])
def test_superconductor_killed_during_confirm_or_revert(real, view, operation, step):
    admin = h.conn(real, "admin")
    server, mig = _moved_across(real, view, admin, f"kill-sc-{operation}-{step}")
    with real.paused_at("superconductor", step) as paused:
        _finish(admin, server, operation)
        paused()
    host, cell, status = ENDS[operation]
    assert _journal_closed(view, mig.uuid, operation).state == State.DONE
    assert [m[1] for m in h.migrations(admin, server.id)] == [status]
    _ends_on(real, view, admin, server, host, cell)


# -- computes and the scheduler ---------------------------------------------------------

# (operation, host killed, the RPC method it is killed in). The superconductor's call to
# the dead host times out (long_rpc_timeout), the operation fails, and the host is back by
# then to take its part of the rollback.
COMPUTE_KILLS = {
    "dest-prep": ("resize", DEST, "prep_snapshot_based_resize_at_dest"),
    "source-prep": ("resize", SOURCE, "prep_snapshot_based_resize_at_source"),
    "dest-finish": ("resize", DEST, "finish_snapshot_based_resize_at_dest"),
    "source-confirm": ("confirm", SOURCE, "confirm_snapshot_based_resize_at_source"),
    "dest-revert": ("revert", DEST, "revert_snapshot_based_resize_at_dest"),
    "source-finish-revert": ("revert", SOURCE, "finish_revert_snapshot_based_resize_at_source"),
}


def _usable(real, view, admin, server):
    """I6: settled with no task; in ERROR with a fault that a hard reboot clears. Then
    I1-I4 hold and the guest's bytes are intact on the host the server lives on."""
    srv = _settled(admin, server.id, {"ACTIVE", "ERROR"})
    view.check(server.id)
    if srv.status == "ERROR":
        assert srv.fault and srv.fault["message"], srv
        admin.compute.reboot_server(server, "HARD")
        srv = _settled(admin, server.id, {"ACTIVE"})
        view.check(server.id)
    assert view.driver(srv.compute_host).read_disk(server.id, 4096, len(DATA)) == DATA
    with view.runtime.api_reader() as s:
        assert not [e for e in journal_obj.unfinished(s) if e.instance_uuid == server.id]
    h.delete(admin, server)
    real.check_alive()
    return srv


@pytest.mark.mariadb_subset(("dest-finish",))
@pytest.mark.parametrize("step", sorted(COMPUTE_KILLS))
def test_compute_killed_during_cross_cell_operation(real, view, step):
    operation, host, method = COMPUTE_KILLS[step]
    admin = h.conn(real, "admin")
    name = f"kill-{step}"
    if operation == "resize":
        server = h.boot(admin, name, SOURCE)
        view.driver(SOURCE).write_disk(server.id, 4096, DATA)
    else:
        server, _ = _moved_across(real, view, admin, name)
    with real.paused_at(host, method) as paused:
        if operation == "resize":
            admin.compute.migrate_server(server, host=DEST)
        else:
            _finish(admin, server, operation)
        paused()
    srv = _usable(real, view, admin, server)
    if operation == "resize":
        assert srv.compute_host == SOURCE, "a failed move leaves the server on its source"


@pytest.mark.postgresql_only
def test_scheduler_killed_while_choosing_a_host(real, view):
    """The superconductor's call to the scheduler times out; the move does not start."""
    admin = h.conn(real, "admin")
    server = h.boot(admin, "kill-scheduler", SOURCE)
    view.driver(SOURCE).write_disk(server.id, 4096, DATA)
    with real.paused_at("scheduler", "select_destinations") as paused:
        admin.compute.migrate_server(server, host=DEST)
        paused()
    wait_for(lambda: [m[1] for m in h.migrations(admin, server.id)] == ["error"], 120,
             interval=0.5, what="the move failed")
    assert _usable(real, view, admin, server).compute_host == SOURCE


# -- the broker and the database go away mid-move --------------------------------------


def _wait_up(real, host):
    """Wait until ``host``'s compute heartbeats (a host killed by an earlier test is back)."""
    cell = host.split("-")[0]

    def _up():
        rows = h.query(real, cell, "SELECT last_seen_up FROM services WHERE host = :h "
                       "AND deleted = 0", h=host)
        return rows and rows[0][0] and (utcnow() - rows[0][0]).total_seconds() < 5

    wait_for(_up, 60, interval=0.5, what=f"{host} heartbeating")


def _completes_or_rolls_back(real, view, admin, server):
    """The move ends VERIFY_RESIZE (then confirmed) or back on the source, usable."""
    srv = _settled(admin, server.id, {"VERIFY_RESIZE", "ACTIVE", "ERROR"})
    if srv.status == "VERIFY_RESIZE":
        view.check(server.id)
        admin.compute.confirm_server_resize(server)
    _usable(real, view, admin, server)


def _with_data(view, admin, name):
    server = h.boot(admin, name, SOURCE)
    view.driver(SOURCE).write_disk(server.id, 4096, DATA)
    return server


def _held(real, admin, server, host, paused):
    """Ask for the cross-cell resize of ``server`` and wait until ``host`` holds it at the
    pause point ``paused`` waits for.

    A move the scheduler refuses before it starts is asked again (up to three times):
    once, right after a broker test had closed every connection, the scheduler found
    the destination down although it heartbeats (not understood yet). These tests are
    about what happens to a move under way.
    """
    for _ in range(3):
        _wait_up(real, host)
        admin.compute.migrate_server(server, host=DEST)
        try:
            paused(timeout=60)
            return
        except AssertionError:
            srv = admin.compute.get_server(server.id)
            if srv.status != "ACTIVE" or srv.task_state:
                raise
    raise AssertionError(f"the move of {server.id} was refused three times")


def _none_busy(real):
    """No server of the deployment is left in a task_state (the cleanup periodic runs
    every 5 s with task_state_timeout 20 s here)."""
    def _idle():
        return not [row for cell in ("cell1", "cell2") for row in h.query(
            real, cell, "SELECT uuid, task_state FROM instances WHERE deleted = 0 "
            "AND task_state IS NOT NULL")]

    wait_for(_idle, 90, interval=1, what="no server left in a task_state")


def _restarted_under_a_held_move(real, view, name, host, method, restart):
    """Hold a cross-cell resize at ``method`` on ``host``, ``restart`` a service, let the
    move go on: it completes or rolls back, and no server is left in a task_state."""
    admin = h.conn(real, "admin")
    server = _with_data(view, admin, name)
    with real.paused_at(host, method) as paused:
        _held(real, admin, server, host, paused)
        restart()
        paused.release()
        _completes_or_rolls_back(real, view, admin, server)
    _none_busy(real)
    return admin


@pytest.mark.postgresql_only
def test_database_restarted_mid_move(real, view):
    """PostgreSQL is restarted while the destination is held at the start of its part of
    a cross-cell resize (spawning the server in its cell)."""
    _restarted_under_a_held_move(real, view, "db-restart", DEST,
                                 "finish_snapshot_based_resize_at_dest",
                                 real.restart_database)
    real.check_alive()


@pytest.mark.postgresql_only
def test_broker_restarted_mid_move(real, view):
    """RabbitMQ is restarted (its node stopped and started: every connection and every
    transient queue goes) while the source is held in its part of a cross-cell resize;
    it then answers through a new connection.

    Last of the module: every service reconnects on its own, which the tests after it
    would otherwise depend on.
    """
    admin = _restarted_under_a_held_move(real, view, "broker-restart", SOURCE,
                                         "prep_snapshot_based_resize_at_source",
                                         real.restart_broker)
    # Every service is back on the broker: a new server boots and is deleted.
    h.delete(admin, h.boot(admin, "after-broker-restart", SOURCE))
    real.check_alive()

"""Processes killed (SIGKILL) in the middle of cross-cell moves, then started again.

A test-only hook (``[testing] pause_at``, cirrus.pause_points) stops the process at a
named step; the test kills it there and starts it again without the hook. With no manual
step the move then ends rolled back or finished, and DESIGN §4's invariants hold (I1-I4,
I6: read from the databases, Placement, the image service and the hosts' disk files;
I4 compares bytes the guest wrote before the move).

The superconductor is killed before each step of a cross-cell resize on PostgreSQL; on
MariaDB a representative subset runs (one step before the source touches the guest, one
after), to keep the real tier's time in budget.
"""

import pytest

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


@pytest.mark.mariadb_subset(MARIADB_SUBSET)
@pytest.mark.parametrize("step", CONFIRM_STEPS)
def test_superconductor_killed_during_confirm(real, view, step):
    admin = h.conn(real, "admin")
    server, mig = _moved_across(real, view, admin, f"kill-sc-c-{step}")
    with real.paused_at("superconductor", step) as paused:
        admin.compute.confirm_server_resize(server)
        paused()
    assert _journal_closed(view, mig.uuid, "confirm").state == State.DONE
    assert [m[1] for m in h.migrations(admin, server.id)] == ["confirmed"]
    _ends_on(real, view, admin, server, DEST, "cell2")


@pytest.mark.mariadb_subset(MARIADB_SUBSET)
@pytest.mark.parametrize("step", REVERT_STEPS)
def test_superconductor_killed_during_revert(real, view, step):
    admin = h.conn(real, "admin")
    server, mig = _moved_across(real, view, admin, f"kill-sc-r-{step}")
    with real.paused_at("superconductor", step) as paused:
        admin.compute.revert_server_resize(server)
        paused()
    assert _journal_closed(view, mig.uuid, "revert").state == State.DONE
    assert [m[1] for m in h.migrations(admin, server.id)] == ["reverted"]
    _ends_on(real, view, admin, server, SOURCE, "cell1")

"""A destination that fails its claim (prep_resize) hands the move to the next alternate.

Nova's catalog: test_rescheduling_when_migrating_instance,
_test_resize_reschedule_uses_host_lists (1_fail, 3_fails, not_enough_alts) and
test_migrate_server_not_reschedule.

Where Cirrus differs from Nova (on purpose): when the alternates run out, the server was
never touched, so it stays ACTIVE on its source (Nova sets ERROR).

These tests need more hosts in one cell than the shared deployment has, so they run on a
deployment of their own: one cell of five hosts. It runs in a process of its own, because
two all-in-ones in one process are not isolated from each other: they share the
in-process message broker (same vhosts ``top``, ``cell1``...) and the process-wide
Placement app and database, so the second one takes the first one's RPC messages and
replaces its resource providers of the same name. Each test below sends its scenario
(``_scenario_*``, run with the deployment, a member and an admin connection) to that
process and gets back the result or the failure with its traceback.
"""

import concurrent.futures
import multiprocessing
import tempfile
import traceback
from multiprocessing import util
from pathlib import Path

import pytest

from cirrus.testing import fixtures
from cirrus.testing.placement_faults import PlacementFaults
from cirrus.testing.waiters import wait_for
from tests.functional.moves import faults

HOSTS = tuple(f"cell1-host{i}" for i in range(1, 6))
_CHILD: dict = {}  # in the deployment's process: what the scenarios run with


def _start_deployment():
    """Initializer of the deployment's process: start the five-host all-in-one."""
    tmp = tempfile.TemporaryDirectory(prefix="cirrus-five-")
    started = fixtures.deployment(Path(tmp.name), cells=1, hosts_per_cell=len(HOSTS))
    aio = started.__enter__()
    assert sorted(aio.computes) == list(HOSTS)
    user, operator = fixtures.sdk(aio, "cirrus"), fixtures.sdk(aio, "cirrus-admin")
    _CHILD.update(aio=aio, user=user, operator=operator)

    def _stop():
        user.close()
        operator.close()
        started.__exit__(None, None, None)
        tmp.cleanup()

    util.Finalize(None, _stop, exitpriority=10)


def _run(name, *args):
    """Run one scenario in the deployment's process; any failure comes back as an
    AssertionError carrying the scenario's traceback (always picklable)."""
    try:
        globals()[name](_CHILD["aio"], _CHILD["user"], _CHILD["operator"], *args)
    except BaseException:
        raise AssertionError(f"scenario {name} failed:\n{traceback.format_exc()}") from None


@pytest.fixture(scope="module")
def five():
    """Runs a scenario on the five-host deployment: ``five("_scenario_x", *args)``."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(
            1, mp_context=context, initializer=_start_deployment) as pool:
        def run(name, *args):
            pool.submit(_run, name, *args).result(timeout=120)

        yield run


def _prep_events(cloud, uuid, action_name):
    """(host, result) of every compute_prep_resize event of the move, in order."""
    return [(e.host, e.result) for e in faults.action(cloud, uuid, action_name).events
            if e.event == "compute_prep_resize"]


def _start(cloud, user, operator, uuid, kind):
    if kind == "resize":
        faults.resize(cloud, user, uuid, "2")
        return "resize", "2"
    faults.migrate(cloud, operator, uuid)
    return "migrate", "1"


@pytest.mark.parametrize("failures,attempts,kind", [
    (1, 3, "resize"), (1, 3, "migrate"), (3, 4, "resize")],
    ids=["1_fail-resize", "1_fail-migrate", "3_fails-resize"])
def test_reschedule_uses_the_alternates(five, failures, attempts, kind):
    five("_scenario_alternates", failures, attempts, kind)


def _scenario_alternates(five, user, operator, failures, attempts, kind):
    with (faults.max_attempts(five, attempts),
          faults.server(five, user, f"resched-{failures}", "cell1") as uuid):
        source = faults.host_of(five, uuid)
        others = [h for h in HOSTS if h != source]

        def books(host, server_uuid):
            """Who holds what on which host while ``host`` claims."""
            mig = faults.newest_migration(five, server_uuid)
            return faults.allocations(five, server_uuid), faults.allocations(five, mig.uuid)

        with (PlacementFaults(five.runtime.placement) as seen,
              faults.FailClaims(five, others, failures, observe=books) as claims):
            action_name, flavorid = _start(five, user, operator, uuid, kind)
            faults.verify_resize(five, user, uuid)
        # The hosts tried were the scheduler's pick and then its alternates, in order;
        # the scheduler was asked once, whatever the reschedules.
        tried = claims.tried
        assert len(tried) == failures + 1 == len(set(tried)), tried
        assert source not in tried, (source, tried)
        asked = seen.calls_to("GET", "/allocation_candidates")
        assert len(asked) == 1, asked
        dest = tried[-1]
        assert faults.host_of(five, uuid) == dest, (faults.host_of(five, uuid), tried)
        events = _prep_events(five, uuid, action_name)
        assert events == [*[(h, "Error") for h in tried[:-1]], (dest, "Success")], events
        # One migration record across the reschedules, from the source to the last host.
        mig = faults.only_migration(five, uuid)
        found = (mig.status, mig.source_compute, mig.dest_compute)
        assert found == ("finished", source, dest), found
        # Only the last host holds the server (new flavor), the source holds the old one
        # for the migration; the hosts that failed hold nothing of either.
        inst = faults.instance(five, uuid)
        assert inst.flavor.flavorid == flavorid, inst.flavor
        # Each destination asked found the server's claim on itself (the scheduler's or
        # the cell conductor's) and the source share on the migration.
        for host, (server_books, migration_books) in claims.observed:
            want = {faults.rp(five, host): faults.resources(inst.flavor)}
            assert server_books == want, (host, server_books, want)
            want = {faults.rp(five, source): faults.resources(inst.old_flavor)}
            assert migration_books == want, (host, migration_books, want)
        have = faults.allocations(five, uuid)
        assert have == {faults.rp(five, dest): faults.resources(inst.flavor)}, have
        have = faults.allocations(five, mig.uuid)
        assert have == {faults.rp(five, source): faults.resources(inst.old_flavor)}, have
        faults.check(five, uuid)
        faults.confirm(five, user, uuid)
        faults.settled(five, user, uuid, "ACTIVE", "confirmed")
        faults.held_on(five, uuid, dest)
        faults.check(five, uuid)


def _assert_stayed(cloud, uuid, source, fault_start):
    """The move ended without touching the server: ACTIVE on its source, as it was."""
    inst = faults.held_on(cloud, uuid, source)
    assert (inst.vm_state, inst.task_state) == ("active", None), inst
    assert inst.flavor.flavorid == "1", inst.flavor
    assert inst.old_flavor is None and inst.new_flavor is None, inst
    messages = faults.faults_of(cloud, uuid)
    assert messages and messages[0].startswith(fault_start), messages
    mig = faults.only_migration(cloud, uuid)
    assert mig.status == "error", mig
    assert faults.allocations(cloud, mig.uuid) == {}, faults.allocations(cloud, mig.uuid)
    faults.check(cloud, uuid)
    return messages[0]


def test_alternates_run_out(five):
    """Nova's not_enough_alts: three failures, one alternate (max_attempts 2)."""
    five("_scenario_run_out")


def _scenario_run_out(five, user, operator):
    with (faults.max_attempts(five, 2),
          faults.server(five, user, "no-alts", "cell1") as uuid):
        source = faults.host_of(five, uuid)
        others = [h for h in HOSTS if h != source]
        with faults.FailClaims(five, others, 3) as claims:
            faults.resize(five, user, uuid, "2")
            faults.settled(five, user, uuid, "ACTIVE", "error", "resize", "cold_migrate")
            wait_for(lambda: [r for _, r in _prep_events(five, uuid, "resize") if r] == [
                "Error", "Error"], what="both claims recorded")
        tried = claims.tried
        assert len(tried) == 2 == len(set(tried)), tried
        events = _prep_events(five, uuid, "resize")
        assert events == [(h, "Error") for h in tried], events
        fault = _assert_stayed(five, uuid, source, "Exceeded maximum number of retries")
        assert str(claims.errors[-1]) in fault, fault
        # The server is fine: the next resize (no failure injected) works.
        faults.retry_resize_and_confirm(five, user, uuid, "2")


def test_no_reschedule_with_max_attempts_1(five):
    five("_scenario_one_attempt")


def _scenario_one_attempt(five, user, operator):
    with (faults.max_attempts(five, 1),
          faults.server(five, user, "one-attempt", "cell1") as uuid):
        source = faults.host_of(five, uuid)
        others = [h for h in HOSTS if h != source]
        with faults.FailClaims(five, others, 1) as claims:
            faults.resize(five, user, uuid, "2")
            faults.settled(five, user, uuid, "ACTIVE", "error", "resize", "cold_migrate")
            faults.wait_event(five, uuid, "resize", "compute_prep_resize")
        assert len(claims.tried) == 1, claims.tried
        _assert_stayed(five, uuid, source, str(claims.errors[0]))
        faults.retry_resize_and_confirm(five, user, uuid, "2")


def test_targeted_migrate_is_not_rescheduled(five):
    five("_scenario_targeted")


def _scenario_targeted(five, user, operator):
    with faults.server(five, user, "targeted", "cell1") as uuid:
        source = faults.host_of(five, uuid)
        target = next(h for h in HOSTS if h != source)
        with faults.FailClaims(five, HOSTS, 1) as claims:
            faults.migrate(five, operator, uuid, host=target)
            faults.settled(five, user, uuid, "ACTIVE", "error", "migrate", "cold_migrate")
            faults.wait_event(five, uuid, "migrate", "compute_prep_resize")
        assert claims.tried == [target], claims.tried
        events = _prep_events(five, uuid, "migrate")
        assert events == [(target, "Error")], events
        _assert_stayed(five, uuid, source, str(claims.errors[0]))
        # The same targeted migration works once the host is fine.
        faults.migrate(five, operator, uuid, host=target)
        faults.verify_resize(five, operator, uuid)
        faults.check(five, uuid)
        faults.confirm(five, operator, uuid)
        faults.settled(five, operator, uuid, "ACTIVE", "confirmed")
        faults.held_on(five, uuid, target)
        faults.check(five, uuid)

"""Helpers for the failure tests of same-cell moves: servers, injected faults, checks.

Every test boots its own servers pinned to one cell and asserts on its own consumers, so
it can share a deployment with other test files.
"""

from __future__ import annotations

import contextlib
import threading
import uuid as uuid_mod

from sqlalchemy import select

from cirrus import exception
from cirrus.db.cell import models
from cirrus.objects import instance as instance_obj
from cirrus.objects import instance_action as action_obj
from cirrus.objects import migration as migration_obj
from cirrus.objects import service as service_obj
from cirrus.testing import invariants
from cirrus.testing.waiters import wait_for
from tests.functional import helpers

# -- records -----------------------------------------------------------------------------


def instance(cloud, uuid):
    """The server's record in its cell (read straight from the database)."""
    with cloud.runtime.cell_reader(helpers.cell_of(cloud, uuid)) as s:
        return instance_obj.get_by_uuid(s, uuid)


def faults_of(cloud, uuid):
    """Messages of every fault recorded for the server, newest first (whatever its state;
    the API and the record show a fault only in ERROR)."""
    t = models.InstanceFault.__table__
    with cloud.runtime.cell_reader(helpers.cell_of(cloud, uuid)) as s:
        rows = s.execute(select(t.c.message).where(t.c.instance_uuid == uuid).order_by(
            t.c.created_at.desc(), t.c.id.desc()))
        return [r.message for r in rows]


def migrations(cloud, uuid, cell=None):
    """Every migration record of the server, oldest first."""
    with cloud.runtime.cell_reader(cell or helpers.cell_of(cloud, uuid)) as s:
        return sorted(migration_obj.get_all(s, instance_uuid=uuid), key=lambda m: m.id)


def only_migration(cloud, uuid):
    """The one migration of a server that was moved once (however many reschedules)."""
    found = migrations(cloud, uuid)
    assert len(found) == 1, [(m.uuid, m.status) for m in found]
    return found[0]


def newest_migration(cloud, uuid):
    return migrations(cloud, uuid)[-1]


def action(cloud, uuid, name):
    """The newest instance action ``name`` of the server, with its events."""
    with cloud.runtime.cell_reader(helpers.cell_of(cloud, uuid)) as s:
        found = [a for a in action_obj.get_all(s, uuid) if a.action == name]
        assert found, f"no {name} action for {uuid}"
        return action_obj.get_by_request_id(s, uuid, found[0].request_id)


def events(cloud, uuid, name):
    """event name -> result of the newest action ``name`` (only finished events)."""
    return {e.event: e.result for e in action(cloud, uuid, name).events if e.finish_time}


def api_events(cloud, admin, uuid, name):
    """event name -> the event as the API shows it to an admin (2.84: with details)."""
    actions = helpers.raw(cloud, admin, "GET", f"/servers/{uuid}/os-instance-actions",
                          version="2.84").json()["instanceActions"]
    request_id = next(a["request_id"] for a in actions if a["action"] == name)
    resp = helpers.raw(cloud, admin, "GET",
                       f"/servers/{uuid}/os-instance-actions/{request_id}", version="2.84")
    assert resp.status_code == 200, resp.text
    return {e["event"]: e for e in resp.json()["instanceAction"]["events"]}


def allocations(cloud, consumer):
    """provider uuid -> resources held by ``consumer``."""
    return helpers.allocations(cloud, consumer)


def rp(cloud, host):
    return helpers.provider_of(cloud, host)


def resources(flavor):
    """What a flavor allocates (the server's flavor record or a FlavorSpec)."""
    out = {"VCPU": flavor.vcpus, "MEMORY_MB": flavor.memory_mb,
           "DISK_GB": flavor.root_gb + flavor.ephemeral_gb}
    return {k: v for k, v in out.items() if v}


def held_on(cloud, uuid, host):
    """The server's own allocations are on ``host`` only, sized by its current flavor."""
    inst = instance(cloud, uuid)
    assert inst.host == host, (inst.host, host)
    assert allocations(cloud, uuid) == {rp(cloud, host): resources(inst.flavor)}
    return inst


def check(cloud, uuid):
    """DESIGN §4 invariants for the server and for Placement as a whole."""
    inst = invariants.check_server(cloud, uuid)
    invariants.check_consumers(cloud)
    return inst


def guest_copies(cloud, uuid):
    """(host, kind) of every copy of the guest the fake drivers keep other than the one
    running on the server's host: ``stray`` guests on other hosts and ``left`` copies a
    move put aside (which only a VERIFY_RESIZE server may have)."""
    inst = instance(cloud, uuid)
    found = []
    for host, manager in sorted(cloud.computes.items()):
        driver = manager.driver
        if host != inst.host and driver.guest(uuid) is not None:
            found.append((host, "stray"))
        if inst.vm_state != "resized" and driver.left_behind(uuid) is not None:
            found.append((host, "left"))
    return found


def discard_copies(cloud, uuid):
    """Remove the copies ``guest_copies`` finds, as an operator would; returns them."""
    found = guest_copies(cloud, uuid)
    for host, kind in found:
        driver = cloud.computes[host].driver
        if kind == "stray":
            driver.destroy(uuid)
        else:
            driver.confirm_migration(uuid)
    return found


def check_recovered(cloud, uuid):
    """The invariants after a hard reboot recovered a server from a failed move step.

    Nothing is tidied by hand: the abort, the cleanup it sends to the other host and the
    hard reboot must have removed every copy of the guest and healed the allocations.
    """
    return check(cloud, uuid)


# -- servers -----------------------------------------------------------------------------


def boot(cloud, conn, name, zone, flavor="1"):
    """Boot a server in ``zone`` (a cell, or cell:host) and wait for ACTIVE; returns its id."""
    created = helpers.boot(conn, name, flavor=flavor, zone=zone)
    helpers.wait_status(conn, created.id, "ACTIVE")
    return created.id


def delete(conn, uuid):
    """Delete a server (whatever its state) and wait until it is gone."""
    from openstack import exceptions

    try:
        conn.compute.delete_server(uuid)
    except exceptions.NotFoundException:
        return
    helpers.wait_gone(conn, uuid)


@contextlib.contextmanager
def server(cloud, conn, name, zone, flavor="1"):
    """A server for one test; deleted at the end, and nothing of it may stay in Placement.

    When the test fails the leftovers are scrubbed instead, so that the deployment stays
    usable for the tests that come next.
    """
    uuid = boot(cloud, conn, name, zone, flavor)
    try:
        yield uuid
    except BaseException:
        consumers = [uuid, *(m.uuid for m in migrations(cloud, uuid))]
        delete(conn, uuid)
        for consumer in consumers:
            cloud.runtime.placement.delete_allocations(consumer)
        raise
    consumers = [uuid, *(m.uuid for m in migrations(cloud, uuid))]
    delete(conn, uuid)
    for consumer in consumers:
        assert allocations(cloud, consumer) == {}, f"{consumer} leaked after delete"
    invariants.check_consumers(cloud)


def host_of(cloud, uuid):
    return instance(cloud, uuid).host


def other_host(cloud, host):
    """Another compute host of the same cell."""
    cell = host.split("-")[0]
    return next(h for h in sorted(cloud.computes) if h.startswith(cell + "-") and h != host)


# -- moves -------------------------------------------------------------------------------


def act(cloud, conn, uuid, body, version="2.90", expect=202):
    """POST a server action; assert its status code."""
    resp = helpers.raw(cloud, conn, "POST", f"/servers/{uuid}/action", version=version,
                       json=body)
    assert resp.status_code == expect, resp.text
    return resp


def resize(cloud, conn, uuid, flavor="2"):
    return act(cloud, conn, uuid, {"resize": {"flavorRef": flavor}})


def migrate(cloud, admin, uuid, host=None):
    if host is None:
        return act(cloud, admin, uuid, {"migrate": None})
    return act(cloud, admin, uuid, {"migrate": {"host": host}}, version="2.56")


def confirm(cloud, conn, uuid):
    return act(cloud, conn, uuid, {"confirmResize": None}, expect=204)


def revert(cloud, conn, uuid):
    return act(cloud, conn, uuid, {"revertResize": None})


def hard_reboot(cloud, conn, uuid):
    act(cloud, conn, uuid, {"reboot": {"type": "HARD"}})
    return helpers.wait_status(conn, uuid, "ACTIVE")


def settled(cloud, conn, uuid, status, migration_status, action_name=None, event=None,
            timeout=30.0):
    """Wait until the server shows ``status`` with no task, its newest migration has
    ``migration_status`` and (if given) ``event`` of ``action_name`` has finished.

    Returns the server as the API shows it.
    """
    def _done():
        srv = conn.compute.get_server(uuid)
        if srv.status != status or srv.task_state:
            return None
        found = migrations(cloud, uuid)
        if not found or found[-1].status != migration_status:
            return None
        if event is not None and event not in events(cloud, uuid, action_name):
            return None
        return srv

    return wait_for(_done, timeout,
                    what=f"{uuid} {status} with migration {migration_status}")


def wait_for_status(conn, uuid, status, timeout=30.0):
    """The server shows ``status`` with no task."""
    return helpers.wait_status(conn, uuid, status, timeout)


def wait_event(cloud, uuid, action_name, event, timeout=30.0):
    """``event`` of the newest ``action_name`` has finished; returns its result."""
    return wait_for(lambda: events(cloud, uuid, action_name).get(event), timeout,
                    what=f"{event} of {action_name} for {uuid}")


def verify_resize(cloud, conn, uuid):
    return settled(cloud, conn, uuid, "VERIFY_RESIZE", "finished")


def retry_resize_and_confirm(cloud, conn, uuid, flavor):
    """A new resize after a failure reaches VERIFY_RESIZE and confirms to ACTIVE."""
    resize(cloud, conn, uuid, flavor)
    verify_resize(cloud, conn, uuid)
    check(cloud, uuid)
    confirm(cloud, conn, uuid)
    settled(cloud, conn, uuid, "ACTIVE", "confirmed")
    inst = check(cloud, uuid)
    assert inst.flavor.flavorid == flavor
    return inst


def retry_migrate_and_confirm(cloud, admin, uuid):
    """A new cold migration after a failure reaches VERIFY_RESIZE and confirms."""
    before = host_of(cloud, uuid)
    migrate(cloud, admin, uuid)
    verify_resize(cloud, admin, uuid)
    check(cloud, uuid)
    confirm(cloud, admin, uuid)
    settled(cloud, admin, uuid, "ACTIVE", "confirmed")
    inst = check(cloud, uuid)
    assert inst.host != before
    return inst


# -- injected faults ---------------------------------------------------------------------


def driver_error(method, what="injected"):
    return exception.DriverError(method=method, reason=f"{what} {uuid_mod.uuid4().hex[:6]}")


@contextlib.contextmanager
def fail_once(cloud, host, method, what="injected"):
    """The next ``method`` call of ``host``'s fake driver raises; yields the error."""
    driver = cloud.computes[host].driver
    error = driver_error(method, what)
    driver.fail_next(method, error)
    try:
        yield error
    finally:
        driver.clear_faults()


@contextlib.contextmanager
def flavor(cloud, admin, **values):
    """A flavor made for one test (``ram``, ``vcpus``, ``disk``...); deleted afterwards."""
    flavor_id = f"mf-{uuid_mod.uuid4().hex[:8]}"
    body = {"flavor": {"name": flavor_id, "id": flavor_id, "ram": 512, "vcpus": 1,
                       "disk": 1, **values}}
    resp = helpers.raw(cloud, admin, "POST", "/flavors", json=body)
    assert resp.status_code == 200, resp.text
    try:
        yield flavor_id
    finally:
        helpers.raw(cloud, admin, "DELETE", f"/flavors/{flavor_id}")


@contextlib.contextmanager
def service_status(cloud, host, **changes):
    """Change a compute service's disabled / forced_down for a while."""
    cell = next(c for c in cloud.runtime.cells() if c.name == host.split("-")[0])
    with cloud.runtime.cell_session(cell) as s:
        svc = service_obj.get_by_host_binary(s, host, "cirrus-compute")
        before = {k: getattr(svc, k) for k in changes}
        service_obj.update_status(s, svc.id, **changes)
    try:
        yield
    finally:
        with cloud.runtime.cell_session(cell) as s:
            service_obj.update_status(s, svc.id, **before)


@contextlib.contextmanager
def max_attempts(cloud, count):
    """``[scheduler] max_attempts`` for a while (the deployment's shared configuration)."""
    conf = cloud.runtime.conf
    conf.set_override("max_attempts", count, group="scheduler")
    try:
        yield
    finally:
        conf.clear_override("max_attempts", group="scheduler")


class FailClaims:
    """Make the first ``count`` destination claims (``prepare_migration_target``) fail,
    whichever hosts they land on, and record the hosts asked, in order.

    The scheduler's order among equal hosts is not part of any contract, so the test
    follows the hosts actually tried instead of guessing them.
    """

    def __init__(self, cloud, hosts, count, what="claim refused", observe=None):
        self._drivers = {h: cloud.computes[h].driver for h in hosts}
        self._count = count
        self._what = what
        self._observe = observe
        self._lock = threading.Lock()
        self.tried = []
        self.errors = []
        self.observed = []

    def _wrap(self, host, original):
        def prepare_migration_target(uuid, flavor):
            if self._observe is not None:
                self.observed.append((host, self._observe(host, uuid)))
            with self._lock:
                self.tried.append(host)
                fail = len(self.tried) <= self._count
                error = driver_error("prepare_migration_target", f"{self._what} on {host}")
                if fail:
                    self.errors.append(error)
            if fail:
                raise error
            return original(uuid, flavor)

        return prepare_migration_target

    def __enter__(self):
        for host, driver in self._drivers.items():
            driver.prepare_migration_target = self._wrap(host, driver.prepare_migration_target)
        return self

    def __exit__(self, *exc_info):
        for driver in self._drivers.values():
            del driver.prepare_migration_target

"""Helpers of the resize / cold migrate / confirm / revert functional tests.

Hosts are shared with every other test of the process, so usage is compared with what it
was before a step (``usage_of`` + ``plus``) and allocations are read per consumer.
"""

import contextlib

from cirrus import exception
from cirrus.db.cell import copy as cell_copy
from cirrus.objects import instance as instance_obj
from cirrus.objects import migration as migration_obj
from cirrus.objects import move_journal as journal_obj
from cirrus.objects import request_spec as spec_obj
from cirrus.objects.states import MigrationStatus
from cirrus.testing import invariants
from cirrus.testing.waiters import Timeout, wait_for
from tests.functional import helpers

CELL1 = ("cell1-host1", "cell1-host2")
USAGE_KEYS = ("memory_mb_used", "vcpus_used", "local_gb_used")


def check(cloud, server_id):
    """Invariants of the server and of Placement as a whole."""
    inst = invariants.check_server(cloud, server_id)
    invariants.check_consumers(cloud)
    return inst


def other_host(host):
    """The other host of a two-host cell."""
    cell = host.split("-")[0]
    (other,) = [h for h in (f"{cell}-host1", f"{cell}-host2") if h != host]
    return other


def host_of(admin, server_id):
    return admin.compute.get_server(server_id).compute_host


# -- flavors -------------------------------------------------------------------------

_FLAVORS = {}


def flavor(cloud, conn, flavor_id):
    """GET /flavors/{id} body (cached: the classic flavors never change)."""
    if flavor_id not in _FLAVORS:
        resp = helpers.raw(cloud, conn, "GET", f"/flavors/{flavor_id}")
        assert resp.status_code == 200, resp.text
        _FLAVORS[flavor_id] = resp.json()["flavor"]
    return _FLAVORS[flavor_id]


def resources(cloud, conn, flavor_id):
    """The Placement resources a server of ``flavor_id`` claims (no swap here)."""
    f = flavor(cloud, conn, flavor_id)
    return {"VCPU": f["vcpus"], "MEMORY_MB": f["ram"],
            "DISK_GB": f["disk"] + f["OS-FLV-EXT-DATA:ephemeral"]}


def usage_delta(cloud, conn, flavor_id):
    """What a server of ``flavor_id`` adds to a hypervisor's usage."""
    r = resources(cloud, conn, flavor_id)
    return {"memory_mb_used": r["MEMORY_MB"], "vcpus_used": r["VCPU"],
            "local_gb_used": r["DISK_GB"]}


def plus(usage, delta, sign=1):
    return {k: usage[k] + sign * delta[k] for k in USAGE_KEYS}


def spec_flavor(cloud, server_id):
    """The flavorid of the stored request spec."""
    with cloud.runtime.api_session() as s:
        return spec_obj.load(s, server_id).flavor.flavorid


# -- reads ---------------------------------------------------------------------------

def usage_of(cloud, admin, *hosts):
    """{host: usage numbers} from GET /os-hypervisors/detail (2.87: last with usage)."""
    resp = helpers.raw(cloud, admin, "GET", "/os-hypervisors/detail", version="2.87")
    assert resp.status_code == 200, resp.text
    by_host = {h["service"]["host"]: {k: h[k] for k in USAGE_KEYS}
               for h in resp.json()["hypervisors"]}
    return {host: by_host[host] for host in hosts}


def migrations_of(cloud, admin, server_id, version="2.80", query=""):
    """GET /os-migrations?instance_uuid=<server> (newest first)."""
    resp = helpers.raw(cloud, admin, "GET",
                       f"/os-migrations?instance_uuid={server_id}{query}", version=version)
    assert resp.status_code == 200, resp.text
    return resp.json()["migrations"]


def events_of(cloud, admin, server_id, request_id, timeout=10.0):
    """(action name, {event name: result}) of one instance action, once every event ended.

    A service finishes its event after the notification and the state change a test
    waits for, so a read right after them can still see an event with no result.
    """
    def _read():
        resp = helpers.raw(cloud, admin, "GET",
                           f"/servers/{server_id}/os-instance-actions/{request_id}")
        assert resp.status_code == 200, resp.text
        action = resp.json()["instanceAction"]
        return action["action"], {e["event"]: e["result"] for e in action["events"]}

    def _ended():
        got = _read()
        return got if None not in got[1].values() else None

    with contextlib.suppress(Timeout):
        return wait_for(_ended, timeout, what="every event ended")
    return _read()


def show(cloud, conn, server_id):
    """GET /servers/{id} body (2.90)."""
    resp = helpers.raw(cloud, conn, "GET", f"/servers/{server_id}")
    assert resp.status_code == 200, resp.text
    return resp.json()["server"]


def allocations_by_consumer(cloud, *consumers):
    return {c: helpers.allocations(cloud, c) for c in consumers}


# -- notifications -------------------------------------------------------------------

def notified(notifications, server_id, event_type):
    return [n for n in notifications.of(server_id) if n["event_type"] == event_type]


# Seconds a move may take; deployments moving real disk bytes raise it (a loaded
# machine hashes hundreds of MiB slowly).
AWAIT_TIMEOUT = 30.0


@contextlib.contextmanager
def awaiting(notifications, server_id, *event_types, timeout=None):
    """Wait, after the block, for one more of each ``event_types`` about the server."""
    timeout = AWAIT_TIMEOUT if timeout is None else timeout
    before = {t: len(notified(notifications, server_id, t)) for t in event_types}
    yield
    for t in event_types:
        wait_for(lambda t=t: len(notified(notifications, server_id, t)) > before[t],
                 timeout, what=f"{t} for {server_id}")


def published_since(notifications, server_id, since):
    """{(event_type, host)} of the server's instance.resize* notifications after ``since``."""
    prefix = "cirrus-compute:"
    out = set()
    for n in notifications.of(server_id)[since:]:
        if n["event_type"].startswith("instance.resize"):
            assert n["publisher_id"].startswith(prefix), n
            out.add((n["event_type"], n["publisher_id"][len(prefix):]))
    return out


def resize_published(source, dest):
    """What a resize or cold migration to VERIFY_RESIZE publishes, and from where."""
    return {("instance.resize_prep.start", dest), ("instance.resize_prep.end", dest),
            ("instance.resize.start", source), ("instance.resize.end", source),
            ("instance.resize_finish.start", dest), ("instance.resize_finish.end", dest)}


# -- actions -------------------------------------------------------------------------

def post_action(cloud, conn, server_id, body, expect=202, version="2.90"):
    """POST /servers/{id}/action; returns the request id (the instance action's key)."""
    resp = helpers.raw(cloud, conn, "POST", f"/servers/{server_id}/action", version=version,
                       json=body)
    assert resp.status_code == expect, resp.text
    return resp.headers["x-openstack-request-id"]


# The last notifications of the source and of the destination in a move to VERIFY_RESIZE.
_MOVED = ("instance.resize.end", "instance.resize_finish.end")


def resize_and_wait(cloud, conn, notifications, server_id, flavor_id):
    """Resize to VERIFY_RESIZE, once the destination is done with it; returns the req id."""
    with awaiting(notifications, server_id, *_MOVED):
        req = post_action(cloud, conn, server_id, {"resize": {"flavorRef": flavor_id}})
    helpers.wait_status(conn, server_id, "VERIFY_RESIZE")
    return req


def migrate_and_wait(cloud, admin, notifications, server_id, host=None):
    """Cold migrate (to ``host`` with 2.56) to VERIFY_RESIZE; returns the request id."""
    body = {"migrate": {"host": host} if host else None}
    with awaiting(notifications, server_id, *_MOVED):
        req = post_action(cloud, admin, server_id, body, version="2.56" if host else "2.90")
    helpers.wait_status(admin, server_id, "VERIFY_RESIZE")
    return req


def confirm_and_wait(cloud, conn, notifications, server_id, status="ACTIVE"):
    """confirmResize (204), then wait until the source is cleaned up; returns the req id."""
    with awaiting(notifications, server_id, "instance.resize_confirm.end"):
        req = post_action(cloud, conn, server_id, {"confirmResize": None}, expect=204)
    helpers.wait_status(conn, server_id, status)
    return req


def revert_and_wait(cloud, conn, notifications, server_id, status="ACTIVE"):
    """revertResize (202), then wait until the source has the server back; returns req id."""
    with awaiting(notifications, server_id, "instance.resize_revert.end"):
        req = post_action(cloud, conn, server_id, {"revertResize": None})
    helpers.wait_status(conn, server_id, status)
    return req


# -- setup and cleanup ---------------------------------------------------------------

def delete_and_check(cloud, conn, admin, server_id):
    """Delete, wait for 404, and check that neither the server nor its moves hold anything."""
    migs = [m["uuid"] for m in migrations_of(cloud, admin, server_id)]
    conn.compute.delete_server(server_id)
    helpers.wait_gone(conn, server_id)
    assert allocations_by_consumer(cloud, server_id, *migs) == {
        c: {} for c in (server_id, *migs)}
    invariants.check_consumers(cloud)


@contextlib.contextmanager
def server(cloud, conn, admin, name, flavor_id="1", zone="cell1"):
    """A booted ACTIVE server, deleted (and checked) afterwards."""
    created = helpers.boot(conn, name, flavor=flavor_id, zone=zone)
    try:
        helpers.wait_status(conn, created.id, "ACTIVE")
        check(cloud, created.id)
        yield created
    finally:
        delete_and_check(cloud, conn, admin, created.id)


def compute_service(cloud, admin, host):
    resp = helpers.raw(cloud, admin, "GET", f"/os-services?host={host}&binary=cirrus-compute")
    (svc,) = resp.json()["services"]
    return svc


@contextlib.contextmanager
def service_changed(cloud, admin, host, change, restore):
    """PUT /os-services/{id} (2.53) with ``change``, and ``restore`` afterwards."""
    svc = compute_service(cloud, admin, host)

    def _put(body):
        resp = helpers.raw(cloud, admin, "PUT", f"/os-services/{svc['id']}", version="2.53",
                           json=body)
        assert resp.status_code == 200, resp.text

    _put(change)
    try:
        yield svc
    finally:
        _put(restore)


@contextlib.contextmanager
def overridden(cloud, **overrides):
    """Config overrides for the block only."""
    conf = cloud.runtime.conf
    for name, value in overrides.items():
        conf.set_override(name, value)
    try:
        yield
    finally:
        for name in overrides:
            conf.clear_override(name)


# -- cross-cell moves ----------------------------------------------------------------

CROSS_CELL_POLICY = '"compute:servers:resize:cross_cell": "%s"\n'


@contextlib.contextmanager
def cross_cell_allowed(cloud):
    """Let any user move servers across cells (policy.yaml) for the block."""
    path = cloud.options.state_dir / "policy.yaml"
    path.write_text(CROSS_CELL_POLICY % "@")
    try:
        yield
    finally:
        path.write_text(CROSS_CELL_POLICY % "!")


def across(host, n=1):
    """Host ``n`` of the cell that ``host`` is not in."""
    return f"{'cell2' if host.startswith('cell1-') else 'cell1'}-host{n}"


def copy_in(cloud, cell_name, server_id):
    """The server's record in one cell, or None (hard-deleted rows are not found)."""
    (cell,) = [c for c in cloud.runtime.cells() if c.name == cell_name]
    with cloud.runtime.cell_reader(cell) as s:
        try:
            return instance_obj.get_by_uuid(s, server_id, read_deleted=True)
        except exception.InstanceNotFound:
            return None


def temp_images(cloud, name):
    """Ids of the temporary snapshots of the server called ``name`` (I3: none after)."""
    return [i.id for i in cloud.runtime.image.list_images(name=f"{name}-resize-temp")]


def bindings_of(cloud, server_id):
    """{(host, status)} of every binding of the server's ports."""
    network = cloud.runtime.network
    return {(b.host, b.status) for p in network.list_ports(device_id=server_id)
            for b in network.list_bindings(p.id)}


def guests_elsewhere(cloud, server_id, host):
    """Hosts other than ``host`` whose fake driver keeps a guest or disks of the server."""
    return [h for h, m in sorted(cloud.computes.items()) if h != host and (
        m.driver.guest(server_id) or m.driver.left_behind(server_id))]


def assert_left_clean(cloud, server_id, name, host):
    """The server lives on ``host`` only: no copy in the other cell, no snapshot, its
    ports bound to ``host`` alone, and the invariants hold."""
    # The other host is told with a cast; give it the time to act.
    wait_for(lambda: not guests_elsewhere(cloud, server_id, host), 10,
             what=f"other hosts to drop {server_id}")
    other = across(host).split("-")[0]
    assert copy_in(cloud, other, server_id) is None
    assert temp_images(cloud, name) == []
    assert bindings_of(cloud, server_id) == {(host, "ACTIVE")}
    return check(cloud, server_id)


def journal_of(cloud, mig_uuid):
    """[(operation, state)] of the move journal entries of a migration, oldest first."""
    with cloud.runtime.api_reader() as s:
        return [(e.operation, e.state) for e in journal_obj.for_migration(s, mig_uuid)]


def finished_migration(cloud, server_id):
    """The server's one ``finished`` migration, read in the cell it lives in."""
    with cloud.runtime.cell_reader(helpers.cell_of(cloud, server_id)) as s:
        (mig,) = migration_obj.get_all(s, instance_uuid=server_id,
                                        status=MigrationStatus.FINISHED)
    return mig


def move_across(cloud, admin, notifications, server_id, dest):
    """Cold migrate to ``dest`` (in the other cell) up to VERIFY_RESIZE; the migration."""
    migrate_and_wait(cloud, admin, notifications, server_id, host=dest)
    assert host_of(admin, server_id) == dest
    check(cloud, server_id)
    return finished_migration(cloud, server_id)


def move_across_and_confirm(cloud, conn, admin, notifications, server_id, name, dest):
    """A move across cells that works (after a failure): VERIFY_RESIZE, then confirm."""
    move_across(cloud, admin, notifications, server_id, dest)
    confirm_and_wait(cloud, conn, notifications, server_id)
    assert host_of(admin, server_id) == dest
    assert_left_clean(cloud, server_id, name, dest)


def scrub(cloud, conn, server_id):
    """Remove whatever a failed test left of a server, in every cell, Placement, the
    image service and the fake drivers, so that the tests after it start clean."""
    runtime = cloud.runtime
    consumers = {server_id}
    for cell in runtime.cells():
        with runtime.cell_reader(cell) as s:
            consumers |= {m.uuid for m in migration_obj.get_all(s, instance_uuid=server_id)}
    with contextlib.suppress(Exception):
        conn.compute.delete_server(server_id)
        helpers.wait_gone(conn, server_id)
    for cell in runtime.cells():
        with runtime.cell_session(cell) as s:
            cell_copy.hard_delete_instance(s, server_id)
    for consumer in consumers:
        runtime.placement.delete_allocations(consumer)
    for image in runtime.image.list_images():
        if (image.properties or {}).get("instance_uuid") == server_id:
            runtime.image.delete_image(image.id)
    for manager in cloud.computes.values():
        manager.driver.destroy(server_id)
        manager.driver.confirm_migration(server_id)
        manager.tracker.refresh_usage()


@contextlib.contextmanager
def ported_server(cloud, conn, admin, name):
    """An ACTIVE server with a port on network ``private``, booted with no zone (so it
    may move to either cell); deleted and checked afterwards, scrubbed if the block
    failed."""
    net = conn.network.find_network("private")
    created = helpers.boot(conn, name, networks=[{"uuid": net.id}])
    try:
        helpers.wait_status(conn, created.id, "ACTIVE")
        check(cloud, created.id)
        yield created
    except BaseException:
        scrub(cloud, conn, created.id)
        raise
    delete_and_check(cloud, conn, admin, created.id)

"""The computes' late server-group check, against races the scheduler cannot see.

A race is made by letting a server join the group at the moment the destination host
checks it: what a second scheduler placing a member at the same time would cause.
"""

import contextlib

import pytest

from cirrus import exception
from cirrus.objects import instance_group as ig_obj
from cirrus.testing.waiters import wait_for
from tests.functional import helpers
from tests.functional.moves import faults
from tests.functional.moves import helpers as mv

ANTI = "Anti-affinity instance group policy was violated."


@contextlib.contextmanager
def joins_when_checked(cloud, host, group_id, late_member):
    """``late_member`` joins the group just before ``host`` checks a server of it."""
    policy = cloud.computes[host].group_policy
    real = policy.placing

    def placing(instance_uuid):
        with cloud.runtime.api_session() as s:
            ig_obj.add_members(s, group_id, [late_member])
        return real(instance_uuid)

    policy.placing = placing
    try:
        yield
    finally:
        del policy.placing


@contextlib.contextmanager
def group(conn, policy, **rules):
    created = conn.compute.create_server_group(
        name=f"late-{policy}", policy=policy, **({"rules": rules} if rules else {}))
    try:
        yield created
    finally:
        conn.compute.delete_server_group(created)


@contextlib.contextmanager
def servers(cloud, conn, admin):
    ids = []
    try:
        yield ids
    finally:
        for server_id in ids:
            mv.delete_and_check(cloud, conn, admin, server_id)


def boot_on(admin, name, host, group_id=None):
    """Boot with the zone:host form (admin), so the server lands on ``host``."""
    hints = {"group": group_id} if group_id else {}
    return admin.compute.create_server(
        name=name, flavor_id="1", image_id=admin.image.find_image("cirros").id,
        networks="none", availability_zone=f"{host.split('-')[0]}:{host}",
        scheduler_hints=hints).id


def boot_unpinned(cloud, admin, name, host, group_id):
    """Boot on ``host`` with 2.74's ``host``: no zone is recorded, so it may change cells."""
    body = {"server": {"name": name, "flavorRef": "1", "networks": "none", "host": host,
                       "imageRef": admin.image.find_image("cirros").id},
            "os:scheduler_hints": {"group": group_id}}
    resp = helpers.raw(cloud, admin, "POST", "/servers", version="2.74", json=body)
    assert resp.status_code == 202, resp.text
    return resp.json()["server"]["id"]


def test_a_boot_that_breaks_anti_affinity_late_fails_with_nova_s_reason(cloud, admin):
    with group(admin, "anti-affinity") as g, servers(cloud, admin, admin) as ids:
        ids.append(boot_on(admin, "late-a", "cell1-host1"))
        helpers.wait_status(admin, ids[0], "ACTIVE")
        with joins_when_checked(cloud, "cell1-host1", g.id, ids[0]):
            ids.append(boot_on(admin, "late-b", "cell1-host1", g.id))
            failed = helpers.wait_status(admin, ids[1], "ERROR")
        assert ANTI in failed.fault["message"]
        assert failed.compute_host is None
        assert helpers.allocations(cloud, ids[1]) == {}
        assert helpers.wait_status(admin, ids[0], "ACTIVE").compute_host == "cell1-host1"


@pytest.mark.parametrize("dest", ["cell1-host2", "cell2-host1"])
def test_a_targeted_migrate_that_breaks_anti_affinity_late_is_refused(cloud, admin, dest):
    with (mv.cross_cell_allowed(cloud), group(admin, "anti-affinity") as g,
          servers(cloud, admin, admin) as ids):
        ids.append(boot_on(admin, "late-there", dest))
        ids.append(boot_unpinned(cloud, admin, "late-mover", "cell1-host1", g.id))
        for server_id in ids:
            helpers.wait_status(admin, server_id, "ACTIVE")
        mover = ids[1]
        with joins_when_checked(cloud, dest, g.id, ids[0]):
            mv.post_action(cloud, admin, mover, {"migrate": {"host": dest}}, version="2.56")
            (mig,) = wait_for(lambda: [m for m in mv.migrations_of(cloud, admin, mover)
                                       if m["status"] == "error"], 60, what="migration error")
        server = helpers.wait_status(admin, mover, "ACTIVE")
        # A targeted move is not tried elsewhere; the server stays where it was, whole.
        assert server.compute_host == "cell1-host1"
        events = faults.api_events(cloud, admin, mover, "migrate")
        if dest.startswith("cell1-"):
            assert events["compute_prep_resize"]["result"] == "Error"
            assert ANTI in events["compute_prep_resize"]["details"]
        else:
            # The destination's own event went with the target cell's copy; the
            # superconductor's says which host refused.
            assert events["conductor_migrate_server"]["result"] == "Error"
            assert f"Pre-checks failed on host '{dest}'" in (
                events["conductor_migrate_server"]["details"])
        assert mv.allocations_by_consumer(cloud, mover, mig["uuid"]) == {
            mover: {helpers.provider_of(cloud, "cell1-host1"): mv.resources(cloud, admin, "1")},
            mig["uuid"]: {}}
        mv.check(cloud, mover)


def allowed(cloud, host, instance_uuid):
    """Run ``host``'s check for the server; raises when its group forbids the host."""
    with cloud.computes[host].group_policy.placing(instance_uuid):
        return True


def test_the_check_reads_where_members_are_now(cloud, admin):
    with servers(cloud, admin, admin) as ids:
        ids.append(boot_on(admin, "late-c", "cell1-host1"))
        ids.append(boot_on(admin, "late-d", "cell2-host1"))
        for server_id in ids:
            helpers.wait_status(admin, server_id, "ACTIVE")
        here, far = ids
        with group(admin, "affinity") as aff:
            with cloud.runtime.api_session() as s:
                ig_obj.add_members(s, aff.id, [here, "newcomer"])
            assert allowed(cloud, "cell1-host1", "newcomer")
            with pytest.raises(exception.RescheduledException, match="Affinity instance"):
                allowed(cloud, "cell1-host2", "newcomer")
            with cloud.runtime.api_session() as s:
                ig_obj.add_members(s, aff.id, [far])
            # A member in another cell is on another host too.
            with pytest.raises(exception.RescheduledException, match="Affinity instance"):
                allowed(cloud, "cell1-host1", "newcomer")
        with group(admin, "anti-affinity", max_server_per_host=2) as two:
            with cloud.runtime.api_session() as s:
                ig_obj.add_members(s, two.id, [here, "newcomer"])
            assert allowed(cloud, "cell1-host1", "newcomer")
        with group(admin, "anti-affinity") as one:
            with cloud.runtime.api_session() as s:
                ig_obj.add_members(s, one.id, [here, "newcomer"])
            with pytest.raises(exception.RescheduledException, match="Anti-affinity"):
                allowed(cloud, "cell1-host1", "newcomer")
            conf = cloud.runtime.conf
            conf.set_override("disable_group_policy_check_upcall", True, group="workarounds")
            try:
                assert allowed(cloud, "cell1-host1", "newcomer")
            finally:
                conf.clear_override("disable_group_policy_check_upcall", group="workarounds")

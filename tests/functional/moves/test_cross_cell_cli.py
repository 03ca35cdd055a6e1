"""Cross-cell moves with the unmodified openstack CLI, cross-cell allowed to admins only."""

import pytest

from tests.functional import helpers
from tests.functional.moves import helpers as mv
from tests.functional.moves.helpers import across
from tests.functional.moves.test_cross_cell import cell_of, only_other_cell
from tests.functional.test_cli import openstack, openstack_json

pytestmark = pytest.mark.cli


@pytest.fixture(autouse=True, scope="module")
def cross_cell_for_admins(cloud):
    path = cloud.options.state_dir / "policy.yaml"
    path.write_text('"compute:servers:resize:cross_cell": "rule:admin_api"\n')
    yield
    path.write_text('"compute:servers:resize:cross_cell": "!"\n')


def test_cross_cell_moves_with_cli(cloud, member, admin, notifications):
    with mv.server(cloud, member, admin, "cli-xcell", zone=None) as server:
        source = mv.host_of(admin, server.id)
        with (only_other_cell(cloud, admin, source),
              mv.awaiting(notifications, server.id, "instance.resize_finish.end")):
            openstack(cloud, "cirrus-admin", "server", "resize", "--flavor", "m1.medium",
                      "--wait", server.id)
        dest = mv.host_of(admin, server.id)
        body = mv.show(cloud, admin, server.id)
        assert (body["status"], cell_of(dest), body["flavor"]["original_name"]) == (
            "VERIFY_RESIZE", cell_of(across(source)), "m1.medium")
        mv.check(cloud, server.id)
        with mv.awaiting(notifications, server.id, "instance.resize_confirm.end"):
            openstack(cloud, "cirrus-admin", "server", "resize", "confirm", server.id)
        helpers.wait_status(member, server.id, "ACTIVE")
        mv.check(cloud, server.id)

        with mv.awaiting(notifications, server.id, "instance.resize_finish.end"):
            openstack(cloud, "cirrus-admin", "--os-compute-api-version", "2.56", "server",
                      "migrate", "--host", source, "--wait", server.id)
        assert mv.host_of(admin, server.id) == source
        with mv.awaiting(notifications, server.id, "instance.resize_revert.end"):
            openstack(cloud, "cirrus-admin", "server", "resize", "revert", server.id)
        helpers.wait_status(member, server.id, "ACTIVE")
        assert mv.host_of(admin, server.id) == dest
        mv.check(cloud, server.id)

        rows = openstack_json(cloud, "cirrus-admin", "server", "migration", "list",
                              "--server", server.id)
        assert [(r["Type"], r["Status"], r["Source Compute"], r["Dest Compute"])
                for r in rows] == [("migration", "reverted", dest, source),
                                   ("resize", "confirmed", source, dest)]
        events = openstack_json(cloud, "cirrus", "server", "event", "list", server.id)
        assert [e["Action"] for e in events] == [
            "revertResize", "migrate", "confirmResize", "resize", "create"]


def test_member_resize_stays_in_its_cell_when_policy_says_admins(cloud, member, admin,
                                                                  notifications):
    """A denied cross-cell policy is never an error: the move stays in the cell."""
    with mv.server(cloud, member, admin, "cli-xcell-member", zone=None) as server:
        source = mv.host_of(admin, server.id)
        with mv.awaiting(notifications, server.id, "instance.resize_finish.end"):
            openstack(cloud, "cirrus", "server", "resize", "--flavor", "m1.small", "--wait",
                      server.id)
        assert mv.host_of(admin, server.id) == mv.other_host(source)
        mv.confirm_and_wait(cloud, member, notifications, server.id)
